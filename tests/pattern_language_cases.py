"""What the pattern language of content/safety_patterns.yml means, as (pattern, text, matches)
cases: the rule guard's spaCy matcher and the widget's fail-safe regular expressions must
both read every one of them this way."""

PATTERN_LANGUAGE_CASES = [
    ("pill", "i took all my pills", True),  # a base form matches its other forms,
    ("kill", "he killed it", True),  # as far as the lookup table knows them
    ("kill|end @self", "going to end myself", True),
    ("want to? die", "i want die", True),  # optional word
    ("want * die", "i want so badly to die", True),  # gap of up to three words
    ("want * die", "i want to go to a place where nobody can die", False),  # gap too long
    ("fasting", "how fast does it work", False),  # an inflected form matches only itself
    ("=liver", "is this a live chat", False),
    ("=liver", "i have liver disease", True),
    ("#number over #number", "bp is 210 over 130", True),
    ("KILL", "Kill", True),  # capitals do not matter
]

"""The staff report: figures from the stored conversations, rendered as one HTML file."""

/*
 * The clinic's chat widget. Plain JavaScript, no dependencies, nothing fetched from
 * anywhere but the bot. Embed it with one tag:
 *
 *   <script src="https://BOT/widget/widget.js" defer
 *           data-clinic-name="Example Ketamine Clinic"
 *           data-bot-url="https://BOT"                (default: where this file came from)
 *           data-primary-color="#1f5f8b"              (optional; text colour is chosen for contrast)
 *           data-emergency-number="911"               (optional; shown if the help lines cannot be loaded)
 *           data-notice="Educational information, not medical advice. ..."></script>
 *
 * Safety rules this file keeps:
 * - Every text (the bot's and the patient's) is inserted as text, never as HTML.
 * - Only https: links are made clickable, and they open in a new tab without an opener.
 * - The conversation lives in sessionStorage only: it is gone when the tab is closed, which
 *   matters on a shared waiting-room computer.
 * - What the patient typed is never lost: it stays in the box until the bot has answered,
 *   and a failed message can be sent again.
 * - "Get help now" in the header lists the clinic's crisis lines (GET /webhooks/clinic/crisis,
 *   kept in sessionStorage so they survive a reload without the bot). Only tel:, sms: and
 *   https: links are made live.
 * - Fail-safe: when the bot cannot answer (no connection, an error, a time-out) and the
 *   patient's message matches the crisis word list of that same reply, the crisis lines for
 *   that kind of crisis are shown here instead of the usual error.
 * - "My questions": under the fixed safety response, the patient can add the question they
 *   asked to a list for their provider, then view, edit, copy and print it. The list lives in
 *   sessionStorage only and is never sent anywhere; the bot only hears that a question was
 *   saved (the button's payload, no text), which the staff report counts.
 * - "Read aloud" uses the browser's own speech synthesis (nothing is sent anywhere) and is
 *   not shown where the browser has none.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__clinicChatWidget) return;
  window.__clinicChatWidget = true;

  var data = script.dataset;
  var scriptOrigin = new URL(script.src, document.baseURI).origin;
  var botUrl = (data.botUrl || scriptOrigin).replace(/\/+$/, "");
  var clinicName = data.clinicName || "Our clinic";
  var notice = data.notice ||
    "Educational information, not medical advice. In an emergency, call 911 or 988.";
  var MAX_CHARS = parseInt(data.maxChars || "1000", 10);
  var STORAGE_KEY = "clinic-chat:" + botUrl;
  var CRISIS_KEY = "clinic-chat-crisis:" + botUrl;
  var emergencyNumber = /^\+?[0-9][0-9 ()-]{0,18}$/.test(data.emergencyNumber || "") ? data.emergencyNumber : "";
  var QUESTIONS_KEY = "clinic-chat-questions:" + botUrl;
  var FEEDBACK_PREFIX = "/feedback_";
  var SAVE_QUESTION = "/save_question_for_provider";
  var GREETING = "/greet";
  var MAX_QUESTIONS = 50;
  var canSpeak = typeof window.speechSynthesis === "object" && window.speechSynthesis !== null &&
    typeof window.SpeechSynthesisUtterance === "function";

  // ---------- state (sessionStorage only) ----------

  function newConversationId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && typeof saved.id === "string" && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { id: newConversationId(), messages: [], draft: "", open: false };
  }

  var state = loadState();

  function saveState() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (e) { /* storage full or blocked: the chat still works, it just won't survive a reload */ }
  }

  // The patient's questions for their provider: [{text}], apart from the conversation so that
  // clearing the conversation can keep them.
  function loadQuestions() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(QUESTIONS_KEY) || "[]");
      if (Array.isArray(saved)) {
        return saved.filter(function (q) { return q && typeof q.text === "string" && q.text.trim(); })
          .slice(0, MAX_QUESTIONS);
      }
    } catch (e) { /* unreadable or blocked storage */ }
    return [];
  }

  var questions = loadQuestions();

  function saveQuestions() {
    try {
      window.sessionStorage.setItem(QUESTIONS_KEY, JSON.stringify(questions));
    } catch (e) { /* kept for this page only */ }
    renderQuestionsCount();
  }

  // ---------- small DOM helpers ----------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  // Bot text as text nodes, with https: URLs as safe links. Nothing else becomes markup.
  function renderText(container, text) {
    var pattern = /https:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      container.appendChild(document.createTextNode(text.slice(last, match.index)));
      container.appendChild(safeLink(match[0]));
      last = match.index + match[0].length;
    }
    container.appendChild(document.createTextNode(text.slice(last)));
  }

  function safeLink(href) {
    var url;
    try { url = new URL(href); } catch (e) { return document.createTextNode(href); }
    if (url.protocol !== "https:") return document.createTextNode(href);
    return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer", text: href });
  }

  function readableTextColour(hex) {
    var m = /^#([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return null;
    var rgb = [0, 2, 4].map(function (i) {
      var c = parseInt(m[1].substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    // Contrast against white vs against near-black: pick whichever is higher (WCAG formula).
    return (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.0608) ? "#ffffff" : "#111111";
  }

  // ---------- the widget ----------

  var root = el("div", { className: "kcw-root" });
  var primary = /^#[0-9a-f]{6}$/i.test(data.primaryColor || "") ? data.primaryColor : null;
  if (primary) {
    root.style.setProperty("--kcw-primary", primary);
    root.style.setProperty("--kcw-on-primary", readableTextColour(primary));
  }

  var launcher = el("button", {
    type: "button", className: "kcw-launcher", "aria-haspopup": "dialog",
    "aria-expanded": "false", "aria-controls": "kcw-dialog",
    // The accessible name starts with the visible text, so voice control ("click Questions")
    // finds it, and says what opens.
    "aria-label": "Questions? Chat with us: opens the " + clinicName + " education assistant"
  }, [el("span", { "aria-hidden": "true", className: "kcw-launcher-icon", text: "\u2753" }),
      el("span", { text: "Questions? Chat with us" })]);

  var title = el("h2", { id: "kcw-title", className: "kcw-title", text: clinicName });
  var subtitle = el("p", { className: "kcw-subtitle", text: "Education assistant" });
  var helpButton = el("button", { type: "button", className: "kcw-header-button kcw-help-button",
                                  "aria-expanded": "false", "aria-controls": "kcw-help-panel",
                                  text: "Get help now" });
  var questionsButton = el("button", { type: "button", className: "kcw-header-button kcw-questions-button",
                                       "aria-expanded": "false", "aria-controls": "kcw-questions-panel" });
  var clearButton = el("button", { type: "button", className: "kcw-header-button", text: "Clear conversation" });
  var closeButton = el("button", { type: "button", className: "kcw-header-button kcw-close",
                                    "aria-label": "Close chat" },
                       [el("span", { "aria-hidden": "true", text: "\u00d7" })]);
  var header = el("div", { className: "kcw-header" }, [
    el("div", { className: "kcw-heading" }, [title, subtitle]),
    el("div", { className: "kcw-header-actions" }, [helpButton, questionsButton, clearButton, closeButton])
  ]);
  var helpTitle = el("h3", { id: "kcw-help-title", className: "kcw-help-title", tabindex: "-1", text: "Get help now" });
  var helpBody = el("div", { className: "kcw-help-body" });
  var helpBack = el("button", { type: "button", className: "kcw-retry kcw-help-back", text: "Back to the chat" });
  var helpPanel = el("section", { id: "kcw-help-panel", className: "kcw-help-panel",
                                  "aria-labelledby": "kcw-help-title", hidden: "" },
                     [helpTitle, helpBody, helpBack]);

  var questionsTitle = el("h3", { id: "kcw-questions-title", className: "kcw-panel-title", tabindex: "-1",
                                  text: "My questions for my provider" });
  var questionsIntro = el("p", { className: "kcw-panel-intro",
    text: "Kept in this browser tab only: they are not sent to the clinic. Bring them to your appointment." });
  var questionsList = el("ol", { className: "kcw-questions" });
  var questionsEmpty = el("p", { className: "kcw-panel-intro",
    text: "No questions yet. When I can't answer a question about your own care, you can add it here." });
  var newQuestion = el("textarea", { id: "kcw-new-question", className: "kcw-input kcw-question-input", rows: "2",
                                     maxlength: String(MAX_CHARS) });
  var addQuestionButton = el("button", { type: "submit", className: "kcw-retry", text: "Add" });
  var addQuestionForm = el("form", { className: "kcw-question-form" }, [
    el("label", { "for": "kcw-new-question", text: "Add a question" }), newQuestion, addQuestionButton
  ]);
  var copyButton = el("button", { type: "button", className: "kcw-retry", text: "Copy list" });
  var printButton = el("button", { type: "button", className: "kcw-retry", text: "Print list" });
  var questionsBack = el("button", { type: "button", className: "kcw-retry", text: "Back to the chat" });
  var questionsStatus = el("p", { className: "kcw-questions-status", role: "status" });
  var questionsPanel = el("section", { id: "kcw-questions-panel", className: "kcw-panel",
                                       "aria-labelledby": "kcw-questions-title", hidden: "" }, [
    questionsTitle, questionsIntro, questionsEmpty, questionsList, addQuestionForm,
    el("div", { className: "kcw-panel-actions" }, [copyButton, printButton, questionsBack]),
    questionsStatus
  ]);
  var confirmText = el("p", { id: "kcw-confirm-text", text: "Also clear your list of questions for your provider?" });
  var keepListButton = el("button", { type: "button", className: "kcw-retry", text: "Clear the chat, keep my list" });
  var clearBothButton = el("button", { type: "button", className: "kcw-retry", text: "Clear both" });
  var cancelClearButton = el("button", { type: "button", className: "kcw-retry", text: "Cancel" });
  var confirmClear = el("div", { className: "kcw-confirm", role: "group", "aria-labelledby": "kcw-confirm-text",
                                 hidden: "" }, [confirmText, keepListButton, clearBothButton, cancelClearButton]);
  var noticeEl = el("p", { className: "kcw-notice", id: "kcw-notice", text: notice });

  var log = el("div", { className: "kcw-log", role: "log", "aria-live": "polite",
                        "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { className: "kcw-typing", hidden: "" }, [
    el("span", { className: "kcw-dot", "aria-hidden": "true" }),
    el("span", { className: "kcw-dot", "aria-hidden": "true" }),
    el("span", { className: "kcw-dot", "aria-hidden": "true" }),
    el("span", { className: "kcw-visually-hidden", text: "The assistant is typing" })
  ]);
  var status = el("div", { className: "kcw-visually-hidden", role: "status" });

  var inputId = "kcw-input";
  var input = el("textarea", { id: inputId, className: "kcw-input", rows: "2",
                               maxlength: String(MAX_CHARS), autocomplete: "off",
                               "aria-describedby": "kcw-help" });
  var help = el("p", { id: "kcw-help", className: "kcw-help",
                       text: "Enter sends. Shift+Enter adds a new line." });
  var sendButton = el("button", { type: "submit", className: "kcw-send", text: "Send" });
  var form = el("form", { className: "kcw-form" }, [
    el("label", { "for": inputId, className: "kcw-visually-hidden", text: "Your question" }),
    input, sendButton
  ]);

  var dialog = el("div", { id: "kcw-dialog", className: "kcw-dialog", role: "dialog",
                           "aria-labelledby": "kcw-title", "aria-describedby": "kcw-notice", hidden: "" },
                  [header, confirmClear, helpPanel, questionsPanel, noticeEl, log, typing, status, form, help]);
  root.appendChild(dialog);
  root.appendChild(launcher);

  var pending = false;

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  // `message.question`, on a bot message: what the patient typed that it answers.
  function addMessage(message, remember) {
    var live = remember !== false;
    if (live) { state.messages.push(message); saveState(); }
    if (live && message.from === "bot") stopReading(); // a new answer starts: stop reading the last one
    var bubble = el("div", { className: "kcw-msg kcw-" + message.from });
    bubble.appendChild(el("span", { className: "kcw-visually-hidden",
                                    text: message.from === "bot" ? "Assistant: " : "You: " }));
    renderText(bubble, message.text || "");
    log.appendChild(bubble);
    if (message.from === "bot" && canSpeak && message.text) log.appendChild(readAloudRow(message));

    var buttons = (message.buttons || []).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    });
    var isFeedback = function (b) { return b.payload.indexOf(FEEDBACK_PREFIX) === 0; };
    var isSave = function (b) { return b.payload === SAVE_QUESTION; };
    var replies = buttons.filter(function (b) { return !isFeedback(b) && !isSave(b); });
    var feedback = buttons.filter(isFeedback);
    var save = buttons.filter(isSave);
    if (save.length && message.question) log.appendChild(saveQuestionRow(save[0], message));
    if (replies.length) log.appendChild(quickReplies(replies));
    if (feedback.length) log.appendChild(feedbackRow(feedback, message));
    scrollToEnd();
  }

  // ---------- read aloud (the browser's own speech synthesis; nothing leaves the page) ----------

  var reading = null; // the button of the answer being read

  function stopReading() {
    if (!canSpeak) return;
    if (reading) { reading.textContent = "Read aloud"; reading = null; }
    window.speechSynthesis.cancel();
  }

  function readAloudRow(message) {
    var button = el("button", { type: "button", className: "kcw-read", text: "Read aloud" });
    button.addEventListener("click", function () {
      var wasReading = reading === button;
      stopReading();
      if (wasReading) return;
      var utterance = new window.SpeechSynthesisUtterance(message.text);
      utterance.lang = document.documentElement.lang || "en";
      utterance.onend = utterance.onerror = function () {
        if (reading === button) { button.textContent = "Read aloud"; reading = null; }
      };
      reading = button;
      button.textContent = "Stop reading";
      window.speechSynthesis.speak(utterance);
    });
    return el("div", { className: "kcw-msg-actions" }, [button]);
  }

  // ---------- the patient's questions for their provider (sessionStorage only) ----------

  function saveQuestionRow(button, message) {
    var row = el("div", { className: "kcw-save-question" });
    function showSaved() {
      while (row.firstChild) row.removeChild(row.firstChild);
      var view = el("button", { type: "button", className: "kcw-reply", text: "View my questions" });
      view.addEventListener("click", openQuestions);
      row.appendChild(el("span", { className: "kcw-saved", text: "Added to your list for your provider." }));
      row.appendChild(view);
      return view;
    }
    if (message.questionSaved) { showSaved(); return row; }
    var add = el("button", { type: "button", className: "kcw-reply kcw-save-button", text: button.title });
    add.addEventListener("click", function () {
      if (pending || !addQuestion(message.question)) return;
      message.questionSaved = true;
      saveState();
      showSaved().focus();
      // The bot hears only that a question was saved (no text): its short reply, and a count
      // in the staff report.
      send(SAVE_QUESTION, null, false);
    });
    row.appendChild(add);
    return row;
  }

  function addQuestion(text) {
    var question = (text || "").trim().slice(0, MAX_CHARS);
    if (!question) return false;
    if (questions.length >= MAX_QUESTIONS) {
      status.textContent = questionsStatus.textContent = "Your list is full. Remove a question to add another.";
      return false;
    }
    questions.push({ text: question });
    saveQuestions();
    renderQuestions();
    return true;
  }

  function renderQuestionsCount() {
    questionsButton.textContent = questions.length ? "My questions (" + questions.length + ")" : "My questions";
  }

  function renderQuestions() {
    while (questionsList.firstChild) questionsList.removeChild(questionsList.firstChild);
    questionsEmpty.hidden = questions.length > 0;
    questionsList.hidden = !questions.length;
    copyButton.hidden = printButton.hidden = !questions.length;
    questions.forEach(function (q, i) { questionsList.appendChild(questionItem(q, i)); });
  }

  function questionItem(question, index) {
    var number = String(index + 1);
    var item = el("li", { className: "kcw-question" });
    var edit = el("button", { type: "button", className: "kcw-small-button", text: "Edit",
                              "aria-label": "Edit question " + number });
    var remove = el("button", { type: "button", className: "kcw-small-button", text: "Remove",
                                "aria-label": "Remove question " + number });
    item.appendChild(el("p", { className: "kcw-question-text", text: question.text }));
    item.appendChild(el("div", { className: "kcw-question-actions" }, [edit, remove]));
    edit.addEventListener("click", function () { editQuestion(item, index); });
    remove.addEventListener("click", function () {
      questions.splice(index, 1);
      saveQuestions();
      renderQuestions();
      questionsStatus.textContent = "Question " + number + " removed.";
      questionsTitle.focus();
    });
    return item;
  }

  function editQuestion(item, index) {
    var id = "kcw-edit-question-" + index;
    var box = el("textarea", { id: id, className: "kcw-input kcw-question-input", rows: "3",
                               maxlength: String(MAX_CHARS) });
    box.value = questions[index].text;
    var saveEdit = el("button", { type: "button", className: "kcw-small-button", text: "Save" });
    var cancel = el("button", { type: "button", className: "kcw-small-button", text: "Cancel" });
    while (item.firstChild) item.removeChild(item.firstChild);
    item.appendChild(el("label", { "for": id, text: "Edit question " + (index + 1) }));
    item.appendChild(box);
    item.appendChild(el("div", { className: "kcw-question-actions" }, [saveEdit, cancel]));
    function back() {
      renderQuestions();
      var again = questionsList.querySelectorAll(".kcw-question")[index];
      (again ? again.querySelector("button") : questionsTitle).focus();
    }
    saveEdit.addEventListener("click", function () {
      var text = box.value.trim().slice(0, MAX_CHARS);
      if (text) questions[index].text = text; else questions.splice(index, 1);
      saveQuestions();
      questionsStatus.textContent = text ? "Question saved." : "Question removed.";
      back();
    });
    cancel.addEventListener("click", back);
    box.focus();
  }

  function today() {
    return new Date().toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" });
  }

  function questionsAsText() {
    return clinicName + ": my questions for my provider (" + today() + ")\n" +
      questions.map(function (q, i) { return (i + 1) + ". " + q.text; }).join("\n");
  }

  function copyQuestions() {
    var text = questionsAsText();
    var copied = function () { questionsStatus.textContent = "Copied. You can paste your questions anywhere."; };
    var byHand = function () {
      var scratch = el("textarea", { "aria-hidden": "true", className: "kcw-visually-hidden" });
      scratch.value = text;
      questionsPanel.appendChild(scratch);
      scratch.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      scratch.remove();
      if (ok) copied();
      else questionsStatus.textContent = "Copying is blocked here: select the questions and copy them yourself.";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(copied, byHand);
    else byHand();
  }

  // A clean page for the appointment: the clinic's name, the date and the questions. The
  // sheet sits outside the widget; the print stylesheet shows it alone while it is printed.
  function printQuestions() {
    var old = document.querySelector(".kcw-print-sheet");
    if (old) old.remove();
    var list = el("ol", {});
    questions.forEach(function (q) { list.appendChild(el("li", { text: q.text })); });
    // A <main>: while printing it is the page's only content (the page's own main is hidden),
    // and it exists only from "Print list" until the browser's afterprint.
    var sheet = el("main", { className: "kcw-print-sheet" }, [
      el("h1", { text: clinicName }),
      el("h2", { text: "My questions for my provider" }),
      el("p", { text: today() }),
      list
    ]);
    document.body.appendChild(sheet);
    document.documentElement.classList.add("kcw-printing");
    var done = function () {
      document.documentElement.classList.remove("kcw-printing");
      sheet.remove();
      window.removeEventListener("afterprint", done);
    };
    window.addEventListener("afterprint", done);
    window.print();
  }

  function quickReplies(buttons) {
    var group = el("div", { className: "kcw-replies", role: "group", "aria-label": "Suggested questions" });
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", className: "kcw-reply", text: b.title });
      button.addEventListener("click", function () { send(b.payload, b.title); });
      group.appendChild(button);
    });
    return group;
  }

  function feedbackRow(buttons, message) {
    var row = el("div", { className: "kcw-feedback", role: "group", "aria-label": "Was this answer helpful?" },
                 [el("span", { className: "kcw-feedback-label", text: "Was this helpful?" })]);
    if (message.feedbackGiven) {
      row.appendChild(el("span", { className: "kcw-feedback-done", text: "Thank you for your feedback." }));
      return row;
    }
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", className: "kcw-feedback-button", text: b.title });
      button.addEventListener("click", function () {
        if (pending) return;
        message.feedbackGiven = true;
        saveState();
        send(b.payload, b.title);
        while (row.childNodes.length > 1) row.removeChild(row.lastChild);
        row.appendChild(el("span", { className: "kcw-feedback-done", text: "Thank you for your feedback." }));
      });
      row.appendChild(button);
    });
    return row;
  }

  function showError(text, retry) {
    var box = el("div", { className: "kcw-error", role: "alert" }, [el("span", { text: text })]);
    if (retry) {
      var again = el("button", { type: "button", className: "kcw-retry", text: "Try again" });
      again.addEventListener("click", function () { box.remove(); retry(); });
      box.appendChild(again);
    }
    log.appendChild(box);
    scrollToEnd();
    return box;
  }

  // ---------- crisis lines and the fail-safe ----------

  var crisisInfo = null;   // what GET /webhooks/clinic/crisis returned, checked
  var crisisMatchers = []; // [{category, source: RegExp, unless: RegExp|null}]

  // tel: and sms: with digits only, or https:. Anything else stays text.
  function safeHelpHref(href) {
    if (typeof href !== "string") return null;
    if (/^tel:\+?[0-9]{2,15}$/.test(href)) return href;
    if (/^sms:\+?[0-9]{2,15}(\?body=[A-Za-z0-9]{1,20})?$/.test(href)) return href;
    if (href.slice(0, 6) !== "https:") return null;
    try { return new URL(href).protocol === "https:" ? href : null; } catch (e) { return null; }
  }

  function isLine(line) {
    return line && typeof line.name === "string" && Array.isArray(line.links);
  }

  function checkedCrisisInfo(info) {
    if (!info || !Array.isArray(info.lines) || !Array.isArray(info.categories)) return null;
    if (!info.lines.every(isLine)) return null;
    if (!info.categories.every(function (c) {
      return c && typeof c.id === "string" && Array.isArray(c.help) && c.help.every(isLine);
    })) return null;
    return info;
  }

  function compileMatchers(info) {
    var patterns = (info.failsafe && Array.isArray(info.failsafe.patterns)) ? info.failsafe.patterns : [];
    var out = [];
    patterns.forEach(function (p) {
      if (!p || typeof p.category !== "string" || typeof p.source !== "string") return;
      try {
        out.push({ category: p.category, source: new RegExp(p.source),
                   unless: typeof p.unless === "string" && p.unless ? new RegExp(p.unless) : null });
      } catch (e) { /* a pattern this browser cannot read is left out; the others still work */ }
    });
    return out;
  }

  function useCrisisInfo(info) {
    crisisInfo = info;
    crisisMatchers = compileMatchers(info);
    renderHelpPanel();
  }

  function loadCrisisInfo() {
    try {
      var cached = checkedCrisisInfo(JSON.parse(window.sessionStorage.getItem(CRISIS_KEY) || "null"));
      if (cached) useCrisisInfo(cached);
    } catch (e) { /* no usable copy */ }
    var request = new XMLHttpRequest();
    request.open("GET", botUrl + "/webhooks/clinic/crisis");
    request.timeout = 15000;
    request.onload = function () {
      var info = null;
      try { info = checkedCrisisInfo(JSON.parse(request.responseText)); } catch (e) { /* keep the copy */ }
      if (request.status !== 200 || !info) return;
      useCrisisInfo(info);
      try { window.sessionStorage.setItem(CRISIS_KEY, request.responseText); } catch (e) { /* kept in memory only */ }
    };
    request.send();
  }

  // The kind of crisis `text` is about, most urgent first, or null.
  function crisisCategory(text) {
    if (!crisisInfo || !crisisMatchers.length) return null;
    // Accents dropped, as the word list was compiled (bot/safety/failsafe.py, without_accents).
    var lowered = text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    var found = {};
    crisisMatchers.forEach(function (m) {
      if (m.source.test(lowered) && !(m.unless && m.unless.test(lowered))) found[m.category] = true;
    });
    for (var i = 0; i < crisisInfo.categories.length; i++) {
      if (found[crisisInfo.categories[i].id]) return crisisInfo.categories[i];
    }
    return null;
  }

  function lineList(lines) {
    var list = el("ul", { className: "kcw-lines" });
    lines.forEach(function (line) {
      var item = el("li", { className: "kcw-line" }, [el("span", { className: "kcw-line-name", text: line.name })]);
      var links = el("span", { className: "kcw-line-links" });
      line.links.forEach(function (link) {
        if (!link || typeof link.label !== "string") return;
        var href = safeHelpHref(link.href);
        if (!href) { links.appendChild(el("span", { className: "kcw-line-text", text: link.label })); return; }
        var attrs = { href: href, className: "kcw-line-link", text: link.label };
        if (href.indexOf("https:") === 0) { attrs.target = "_blank"; attrs.rel = "noopener noreferrer"; }
        links.appendChild(el("a", attrs));
      });
      item.appendChild(links);
      list.appendChild(item);
    });
    return list;
  }

  function emergencyText() {
    var number = crisisInfo && typeof crisisInfo.emergency_number === "string" ? crisisInfo.emergency_number
      : emergencyNumber;
    return number ? "If you are in danger right now, call " + number + "."
      : "If you are in danger right now, call your local emergency number.";
  }

  function renderHelpPanel() {
    while (helpBody.firstChild) helpBody.removeChild(helpBody.firstChild);
    if (crisisInfo && crisisInfo.lines.length) {
      helpBody.appendChild(el("p", { className: "kcw-help-intro",
        text: "If you are in crisis or worried about someone, you can reach these services at any hour." }));
      helpBody.appendChild(lineList(crisisInfo.lines));
      return;
    }
    // Neither the bot nor a saved copy: the generic advice, with the page's number if it gave one.
    var advice = el("p", { className: "kcw-help-intro", text: emergencyText() });
    helpBody.appendChild(advice);
    if (emergencyNumber) {
      helpBody.appendChild(lineList([{ name: "Emergency services",
        links: [{ label: "Call " + emergencyNumber, href: "tel:" + emergencyNumber.replace(/[^0-9+]/g, "") }] }]));
    }
  }

  // ---------- panels: "Get help now" and "My questions" take the chat's place ----------

  var openPanel = null; // {panel, button}

  function showPanel(panel, button, heading) {
    closePanel(false);
    confirmClear.hidden = true;
    panel.hidden = false;
    dialog.classList.add("kcw-panel-open");
    button.setAttribute("aria-expanded", "true");
    openPanel = { panel: panel, button: button };
    heading.focus();
  }

  function closePanel(returnFocus) {
    if (!openPanel) return;
    var was = openPanel;
    openPanel = null;
    was.panel.hidden = true;
    dialog.classList.remove("kcw-panel-open");
    was.button.setAttribute("aria-expanded", "false");
    if (returnFocus !== false) was.button.focus();
  }

  function openHelp() { showPanel(helpPanel, helpButton, helpTitle); }

  function openQuestions() {
    renderQuestions();
    questionsStatus.textContent = "";
    showPanel(questionsPanel, questionsButton, questionsTitle);
  }

  function togglePanel(panel, opener) {
    if (openPanel && openPanel.panel === panel) closePanel(); else opener();
  }

  // Shown instead of the usual error when the bot could not answer a message that matches
  // the fail-safe word list. Returns false (nothing shown) when it does not match.
  function showCrisisCard(text, retry) {
    var category = crisisCategory(text);
    if (!category) return false;
    var card = el("div", { className: "kcw-crisis", role: "alert" }, [
      el("p", { className: "kcw-crisis-lead",
                text: "I can't reach the assistant right now, but you don't have to wait for it. Help is available now:" }),
      el("p", { className: "kcw-crisis-title", text: category.title || "" }),
      lineList(category.help),
      el("p", { className: "kcw-crisis-emergency", text: emergencyText() })
    ]);
    var again = el("button", { type: "button", className: "kcw-retry", text: "Try again" });
    again.addEventListener("click", function () { card.remove(); retry(); });
    card.appendChild(again);
    log.appendChild(card);
    scrollToEnd();
    return true;
  }

  function setPending(value) {
    pending = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    status.textContent = value ? "The assistant is typing" : "";
  }

  // Sends `payload` (typed text or a button's payload); `shown` is what the log shows for it.
  function send(payload, shown, fromInput) {
    if (pending) return;
    if (shown !== null) addMessage({ from: "user", text: shown });
    setPending(true);
    var request = new XMLHttpRequest();
    request.open("POST", botUrl + "/webhooks/clinic/webhook");
    request.setRequestHeader("Content-Type", "application/json");
    request.timeout = 40000;
    var retry = function () { send(payload, null, fromInput); };
    request.onload = function () {
      setPending(false);
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (e) { /* handled below */ }
      if (request.status === 200 && Array.isArray(body)) {
        // Only now is the typed text safe to clear, and only if it was not edited meanwhile.
        if (fromInput && input.value.trim() === payload) { input.value = ""; state.draft = ""; saveState(); }
        if (!body.length) addMessage({ from: "bot", text: "Sorry, I have no answer to that. Please try asking in other words." });
        body.forEach(function (m) {
          if (m && (typeof m.text === "string" || Array.isArray(m.buttons))) {
            addMessage({ from: "bot", text: m.text || "", buttons: m.buttons || [],
                         question: fromInput ? payload : "" });
          }
        });
        focusInput();
      } else if (fromInput && showCrisisCard(payload, retry)) {
        // No answer, and the message sounds like a crisis: the help lines, not just an error.
      } else if (body && typeof body.message === "string" && request.status >= 400 && request.status < 500
                 && request.status !== 429) {
        // The patient can fix this one (too long, empty...): say how; the text stays in the box.
        showError(body.message, null);
        focusInput();
      } else {
        var text = (body && typeof body.message === "string") ? body.message
          : "Sorry, I can't reach the assistant right now.";
        showError(text, retry);
      }
    };
    request.onerror = request.ontimeout = function () {
      setPending(false);
      if (fromInput && showCrisisCard(payload, retry)) return;
      showError("Sorry, I can't reach the assistant. Check your connection and try again.", retry);
    };
    request.send(JSON.stringify({ sender: state.id, message: payload }));
  }

  function focusInput() {
    if (!dialog.hidden) input.focus();
  }

  function greetIfNew() {
    if (!state.messages.length && !pending) send(GREETING, null, false);
  }

  function open() {
    dialog.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("kcw-is-open");
    state.open = true;
    saveState();
    input.focus();
    scrollToEnd();
    greetIfNew();
  }

  function close() {
    stopReading();
    dialog.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("kcw-is-open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  function clearConversation() {
    stopReading();
    closePanel(false);
    confirmClear.hidden = true;
    state = { id: newConversationId(), messages: [], draft: "", open: true };
    saveState();
    while (log.firstChild) log.removeChild(log.firstChild);
    input.value = "";
    status.textContent = "Conversation cleared";
    input.focus();
    greetIfNew();
  }

  launcher.addEventListener("click", function () { if (dialog.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  // Clearing the chat asks first whether the list of questions goes too.
  clearButton.addEventListener("click", function () {
    if (!questions.length) { clearConversation(); return; }
    closePanel(false);
    confirmClear.hidden = false;
    keepListButton.focus();
  });
  keepListButton.addEventListener("click", clearConversation);
  clearBothButton.addEventListener("click", function () {
    questions = [];
    saveQuestions();
    renderQuestions();
    clearConversation();
    status.textContent = "Conversation and list of questions cleared";
  });
  cancelClearButton.addEventListener("click", function () { confirmClear.hidden = true; clearButton.focus(); });
  helpButton.addEventListener("click", function () { togglePanel(helpPanel, openHelp); });
  helpBack.addEventListener("click", function () { closePanel(); });
  questionsButton.addEventListener("click", function () { togglePanel(questionsPanel, openQuestions); });
  questionsBack.addEventListener("click", function () { closePanel(); });
  copyButton.addEventListener("click", copyQuestions);
  printButton.addEventListener("click", printQuestions);
  addQuestionForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!addQuestion(newQuestion.value)) return;
    newQuestion.value = "";
    questionsStatus.textContent = "Question added.";
    newQuestion.focus();
  });
  dialog.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    e.preventDefault();
    // Escape closes an open panel or question first, then the chat.
    if (openPanel) closePanel();
    else if (!confirmClear.hidden) { confirmClear.hidden = true; clearButton.focus(); }
    else close();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", function () { state.draft = input.value; saveState(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || pending) return;
    send(text, text, true);
  });

  function mount() {
    var css = el("link", { rel: "stylesheet", href: scriptOrigin + "/widget/widget.css" });
    document.head.appendChild(css);
    document.body.appendChild(root);
    renderHelpPanel();
    renderQuestionsCount();
    renderQuestions();
    loadCrisisInfo();
    state.messages.forEach(function (m) { addMessage(m, false); });
    input.value = state.draft || "";
    if (state.open) { dialog.hidden = false; launcher.setAttribute("aria-expanded", "true"); root.classList.add("kcw-is-open"); }
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

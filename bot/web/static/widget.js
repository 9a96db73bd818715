/*
 * The clinic's chat widget. Plain JavaScript, no dependencies, nothing fetched from
 * anywhere but the bot. Embed it with one tag:
 *
 *   <script src="https://BOT/widget/widget.js" defer
 *           data-clinic-name="Example Ketamine Clinic"
 *           data-bot-url="https://BOT"                (default: where this file came from)
 *           data-primary-color="#1f5f8b"              (optional; text colour is chosen for contrast)
 *           data-notice="Educational information, not medical advice. ..."></script>
 *
 * Safety rules this file keeps:
 * - Every text (the bot's and the patient's) is inserted as text, never as HTML.
 * - Only https: links are made clickable, and they open in a new tab without an opener.
 * - The conversation lives in sessionStorage only: it is gone when the tab is closed, which
 *   matters on a shared waiting-room computer.
 * - What the patient typed is never lost: it stays in the box until the bot has answered,
 *   and a failed message can be sent again.
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
  var FEEDBACK_PREFIX = "/feedback_";
  var GREETING = "/greet";

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
  var clearButton = el("button", { type: "button", className: "kcw-header-button", text: "Clear conversation" });
  var closeButton = el("button", { type: "button", className: "kcw-header-button kcw-close",
                                    "aria-label": "Close chat" },
                       [el("span", { "aria-hidden": "true", text: "\u00d7" })]);
  var header = el("div", { className: "kcw-header" }, [
    el("div", { className: "kcw-heading" }, [title, subtitle]),
    el("div", { className: "kcw-header-actions" }, [clearButton, closeButton])
  ]);
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
                  [header, noticeEl, log, typing, status, form, help]);
  root.appendChild(dialog);
  root.appendChild(launcher);

  var pending = false;

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function addMessage(message, remember) {
    if (remember !== false) { state.messages.push(message); saveState(); }
    var bubble = el("div", { className: "kcw-msg kcw-" + message.from });
    bubble.appendChild(el("span", { className: "kcw-visually-hidden",
                                    text: message.from === "bot" ? "Assistant: " : "You: " }));
    renderText(bubble, message.text || "");
    log.appendChild(bubble);

    var buttons = (message.buttons || []).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    });
    var replies = buttons.filter(function (b) { return b.payload.indexOf(FEEDBACK_PREFIX) !== 0; });
    var feedback = buttons.filter(function (b) { return b.payload.indexOf(FEEDBACK_PREFIX) === 0; });
    if (replies.length) log.appendChild(quickReplies(replies));
    if (feedback.length) log.appendChild(feedbackRow(feedback, message));
    scrollToEnd();
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
            addMessage({ from: "bot", text: m.text || "", buttons: m.buttons || [] });
          }
        });
        focusInput();
      } else if (body && typeof body.message === "string" && request.status >= 400 && request.status < 500
                 && request.status !== 429) {
        // The patient can fix this one (too long, empty...): say how; the text stays in the box.
        showError(body.message, null);
        focusInput();
      } else {
        var text = (body && typeof body.message === "string") ? body.message
          : "Sorry, I can't reach the assistant right now.";
        showError(text, function () { send(payload, null, fromInput); });
      }
    };
    request.onerror = request.ontimeout = function () {
      setPending(false);
      showError("Sorry, I can't reach the assistant. Check your connection and try again.",
                function () { send(payload, null, fromInput); });
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
    dialog.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("kcw-is-open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  function clearConversation() {
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
  clearButton.addEventListener("click", clearConversation);
  dialog.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); close(); }
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
    state.messages.forEach(function (m) { addMessage(m, false); });
    input.value = state.draft || "";
    if (state.open) { dialog.hidden = false; launcher.setAttribute("aria-expanded", "true"); root.classList.add("kcw-is-open"); }
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

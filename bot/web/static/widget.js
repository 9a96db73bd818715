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
  var helpButton = el("button", { type: "button", className: "kcw-header-button kcw-help-button",
                                  "aria-expanded": "false", "aria-controls": "kcw-help-panel",
                                  text: "Get help now" });
  var clearButton = el("button", { type: "button", className: "kcw-header-button", text: "Clear conversation" });
  var closeButton = el("button", { type: "button", className: "kcw-header-button kcw-close",
                                    "aria-label": "Close chat" },
                       [el("span", { "aria-hidden": "true", text: "\u00d7" })]);
  var header = el("div", { className: "kcw-header" }, [
    el("div", { className: "kcw-heading" }, [title, subtitle]),
    el("div", { className: "kcw-header-actions" }, [helpButton, clearButton, closeButton])
  ]);
  var helpTitle = el("h3", { id: "kcw-help-title", className: "kcw-help-title", tabindex: "-1", text: "Get help now" });
  var helpBody = el("div", { className: "kcw-help-body" });
  var helpBack = el("button", { type: "button", className: "kcw-retry kcw-help-back", text: "Back to the chat" });
  var helpPanel = el("section", { id: "kcw-help-panel", className: "kcw-help-panel",
                                  "aria-labelledby": "kcw-help-title", hidden: "" },
                     [helpTitle, helpBody, helpBack]);
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
                  [header, helpPanel, noticeEl, log, typing, status, form, help]);
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
    var lowered = text.toLowerCase();
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

  function openHelp() {
    helpPanel.hidden = false;
    dialog.classList.add("kcw-help-open");
    helpButton.setAttribute("aria-expanded", "true");
    helpTitle.focus();
  }

  function closeHelp() {
    helpPanel.hidden = true;
    dialog.classList.remove("kcw-help-open");
    helpButton.setAttribute("aria-expanded", "false");
    helpButton.focus();
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
            addMessage({ from: "bot", text: m.text || "", buttons: m.buttons || [] });
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
  helpButton.addEventListener("click", function () { if (helpPanel.hidden) openHelp(); else closeHelp(); });
  helpBack.addEventListener("click", closeHelp);
  dialog.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    e.preventDefault();
    // Escape closes the help panel first, then the chat.
    if (!helpPanel.hidden) closeHelp(); else close();
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
    loadCrisisInfo();
    state.messages.forEach(function (m) { addMessage(m, false); });
    input.value = state.draft || "";
    if (state.open) { dialog.hidden = false; launcher.setAttribute("aria-expanded", "true"); root.classList.add("kcw-is-open"); }
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

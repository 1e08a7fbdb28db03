/* gkml 无障碍浏览工具: 大字 (large text), 高对比度 (high contrast), 朗读 (read aloud).
   Native and small: no third-party code, no network. The site works fully without it.
   Loaded by a plain <script src> in <head> without defer, so saved modes become classes on
   <html> before the first paint (no flash of the wrong mode) and no inline script is needed
   (CSP-friendly). Written in ES5 so the cheap phones' older browsers run it too. */
(function () {
  "use strict";
  var KEY = "gkml-modes";
  var MODES = ["large", "contrast"];
  var root = document.documentElement;
  var synth = window.speechSynthesis;
  var canSpeak = !!(synth && window.SpeechSynthesisUtterance);

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return saved instanceof Array ? saved : [];
    } catch (e) {
      return [];  // storage blocked (privacy mode, file://): modes just don't persist
    }
  }

  function save() {
    var on = [];
    for (var i = 0; i < MODES.length; i++) {
      if (root.classList.contains("mode-" + MODES[i])) on.push(MODES[i]);
    }
    try { window.localStorage.setItem(KEY, JSON.stringify(on)); } catch (e) { /* see load() */ }
  }

  // Before first paint: the CSS shows the toolbar only under .js, the read button only under .can-speak.
  root.classList.add("js");
  if (canSpeak) root.classList.add("can-speak");
  var saved = load();
  for (var i = 0; i < MODES.length; i++) {
    if (saved.indexOf(MODES[i]) >= 0) root.classList.add("mode-" + MODES[i]);
  }

  /* Reading aloud. Long utterances are cut short by some engines (~15 s), so the text is
     queued sentence by sentence. */
  function sentences(text) {
    var parts = text.replace(/[ \t]+/g, " ").match(/[^。！？；!?;\n]+[。！？；!?;]?/g) || [];
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].replace(/^\s+|\s+$/g, "");
      while (part.length > 120) { out.push(part.slice(0, 120)); part = part.slice(120); }
      if (part) out.push(part);
    }
    return out;
  }

  function chineseVoice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < voices.length; i++) {
      if (/^zh[-_]CN/i.test(voices[i].lang)) return voices[i];
    }
    return null;
  }

  function setup() {
    var bar = document.getElementById("a11y-bar");
    if (!bar) return;
    var toggles = bar.querySelectorAll("button[data-mode]");
    var readButton = bar.querySelector("button[data-action=read]");
    var stopButton = bar.querySelector("button[data-action=stop]");

    function sync() {
      for (var i = 0; i < toggles.length; i++) {
        var mode = toggles[i].getAttribute("data-mode");
        toggles[i].setAttribute("aria-pressed", root.classList.contains("mode-" + mode) ? "true" : "false");
      }
    }

    for (var t = 0; t < toggles.length; t++) {
      toggles[t].addEventListener("click", function (event) {
        root.classList.toggle("mode-" + event.currentTarget.getAttribute("data-mode"));
        sync();
        save();
      });
    }
    sync();

    if (!canSpeak || !readButton || !stopButton) return;

    function speaking(on) {
      stopButton.hidden = !on;
      readButton.setAttribute("aria-pressed", on ? "true" : "false");
      if (!on && document.activeElement === stopButton) readButton.focus();
    }

    function stop() {
      synth.cancel();
      speaking(false);
    }

    readButton.addEventListener("click", function () {
      // A toggle: pressing 朗读 again while it reads stops, like the 停止 button.
      if (readButton.getAttribute("aria-pressed") === "true") { stop(); return; }
      var main = document.getElementById("main");
      if (!main) return;
      synth.cancel();
      var queue = sentences(main.innerText || main.textContent || "");
      var voice = chineseVoice();
      for (var i = 0; i < queue.length; i++) {
        var utterance = new window.SpeechSynthesisUtterance(queue[i]);
        utterance.lang = "zh-CN";
        if (voice) utterance.voice = voice;
        if (i === queue.length - 1) {
          utterance.onend = function () { speaking(false); };
        }
        synth.speak(utterance);
      }
      speaking(queue.length > 0);
    });
    stopButton.addEventListener("click", stop);
    // Leaving the page must not leave the browser talking.
    window.addEventListener("pagehide", function () { synth.cancel(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

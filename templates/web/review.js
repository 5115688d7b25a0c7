// Keyboard shortcuts for /review: they only move between the cards and press the page's own buttons, so every
// decision still goes through the same CSRF-checked forms as without JavaScript.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.candidate"));
  var current = 0;

  function mark(index, scroll) {
    if (!cards.length) { return; }
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach(function (card, position) {
      card.classList.toggle("current", position === current);
      if (position === current) { card.setAttribute("aria-current", "true"); } else { card.removeAttribute("aria-current"); }
    });
    if (scroll) {
      reveal(cards[current]);
      cards[current].scrollIntoView({ block: "nearest" });
      cards[current].focus({ preventScroll: true });
    }
  }

  // A folded card (the long queue's) opens when reached by a key; a key that would decide a folded card only opens
  // it, so no button is pressed that the maintainer has not seen.
  function reveal(card) {
    var folded = card ? card.querySelector("details.card") : null;
    if (!folded || folded.open) { return false; }
    folded.open = true;
    return true;
  }

  function press(selector, within) {
    var button = (within || document).querySelector(selector);
    if (button) { button.click(); }
    return Boolean(button);
  }

  function choose(card) {
    var sections = card.querySelector("[name=section][required]");
    if (sections) { sections.focus(); }
    return Boolean(sections);
  }

  // The card the maintainer is in is the current one, however they got there: Tab, a click, a link's focus.
  function follow(event) {
    var card = event.target && event.target.closest ? event.target.closest("article.candidate") : null;
    var index = cards.indexOf(card);
    if (index >= 0 && index !== current) { mark(index, false); }
  }
  document.addEventListener("focusin", follow);
  document.addEventListener("click", follow);

  // The keys can be turned off (a word a speech user says must not approve or reject): the choice is kept in this
  // browser, and the list of keys is hidden while they are off, so nothing promises what does nothing.
  var toggle = document.getElementById("keys-on");
  var keysOn = remembered() !== "off";
  function remembered() {
    try { return window.localStorage.getItem("review-shortcuts"); } catch (error) { return null; }
  }
  function switchKeys(on) {
    keysOn = on;
    if (toggle) { toggle.checked = on; }
    var list = document.getElementById("keys");
    if (list) { list.hidden = !on; }
    try { window.localStorage.setItem("review-shortcuts", on ? "on" : "off"); } catch (error) { /* kept for this page only */ }
  }
  if (toggle) { toggle.addEventListener("change", function () { switchKeys(toggle.checked); }); }
  switchKeys(keysOn);

  document.addEventListener("keydown", function (event) {
    if (!keysOn || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) { return; }
    var card = cards[current];
    var done = false;
    if (event.key === "j") { mark(current + 1, true); done = true; }
    else if (event.key === "k") { mark(current - 1, true); done = true; }
    // With no suggestion the list still has, `a` goes to the card's list of sections to choose one; a name sections
    // share is not guessed at.
    else if (event.key === "a" && card) { done = reveal(card) || press("button.quick:not(.shared)", card) || choose(card); }
    else if (event.key === "r" && card) { done = reveal(card) || press("button.reject", card); }
    else if (event.key === "u") { done = press("#undo button") || (card ? press("form.undo button", card) : false); }
    if (done) { event.preventDefault(); }
  });

  // The keys are promised only where they work: the line is hidden until this script runs.
  var keys = document.getElementById("shortcuts");
  if (keys) { keys.hidden = false; }

  // After a decision the page comes back at the card that followed the decided one (#candidate-N): start there.
  // The fragment scrolled that card to the top of the window; when its title would show on the page's first screen,
  // go back to the top instead, so that the notice of what was done, and its Undo, are in sight too.
  var start = cards.findIndex(function (card) { return "#" + card.id === window.location.hash; });
  mark(start >= 0 ? start : 0, false);
  if (start >= 0) { reveal(cards[start]); }
  // A click that did nothing (decided elsewhere meanwhile, too late to undo) always shows its line at the top: the
  // keys still act at that card, but the queue must not seem to move on as after a decision.
  var refused = document.querySelector("p.error[role=status]");
  if (start >= 0 && (refused || document.querySelector(".notice"))) {
    window.addEventListener("load", function () {
      var top = cards[start].getBoundingClientRect().top + window.scrollY;
      if (refused || top + 120 <= window.innerHeight) { window.scrollTo(0, 0); }
    });
  }
})();

/* rgpd — citizens' request forms: progressive enhancement (issue 12).
   Without this script the form has two steps: the citizen ticks the services, the
   server then asks only what they need. With it, the same fields are revealed on
   the first page as services are ticked; hidden ones stay disabled, so nothing a
   service does not need is sent (data minimisation, Art. 5(1)(c) GDPR).
   Same-origin file, no inline code: allowed by the server's `default-src 'self'`. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-progressive]");
  if (!form) { return; }
  var details = form.querySelector("[data-step-details]");
  var next = form.querySelector("[data-step-next]");
  var indicator = form.querySelector("[data-step-indicator]");
  var status = form.querySelector("[data-step-status]");
  if (!details || !next) { return; }
  var boxes = form.querySelectorAll("input[name=activities]");
  var shownBefore = false;

  function words(el, name) {
    var v = el.getAttribute(name);
    return v ? v.split(" ") : [];
  }
  function meets(list, chosen) {
    for (var i = 0; i < list.length; i++) {
      if (chosen.indexOf(list[i]) >= 0) { return true; }
    }
    return false;
  }
  function chosenRefs() {
    var out = [];
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) { out.push(boxes[i].value); }
    }
    return out;
  }
  function setControls(root, enabled) {
    var controls = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < controls.length; i++) { controls[i].disabled = !enabled; }
  }

  function update() {
    var chosen = chosenRefs();
    var any = chosen.length > 0;
    var all = chosen.indexOf("*") >= 0;
    details.hidden = !any;
    setControls(details, any);
    var parts = details.querySelectorAll("[data-used-by]");
    for (var i = 0; i < parts.length; i++) {
      var el = parts[i];
      var show = any && (meets(words(el, "data-used-by"), chosen) ||
        (all && el.hasAttribute("data-with-all")));
      el.hidden = !show;
      if (el.tagName === "FIELDSET") { continue; }
      var required = show && meets(words(el, "data-required-by"), chosen);
      var controls = el.querySelectorAll("input, textarea");
      for (var j = 0; j < controls.length; j++) {
        controls[j].disabled = !show;
        controls[j].required = required;
      }
      var star = el.querySelector(".req");
      if (star) { star.hidden = !required; }
    }
    // RGAA 7.5: say once that fields appeared below
    if (status && any && !shownBefore) {
      status.textContent = status.getAttribute("data-text");
      shownBefore = true;
    }
  }

  // one page now: the "Continue" step goes, and Enter checks the request
  next.parentNode.removeChild(next);
  if (indicator) { indicator.hidden = true; }
  for (var i = 0; i < boxes.length; i++) { boxes[i].addEventListener("change", update); }
  update();
}());

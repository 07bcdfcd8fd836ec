// The pension estimate's sliders (templates/pension.html): each <output> reads its slider's value as it moves, formatted
// as the server formats it (web/estimate_form.py Slider.read). On change, htmx (when the page has it) redraws the result
// from the form's hx-post; without htmx the form is sent, so the result follows the slider all the same.
(function () {
  "use strict";
  function shown(input) {
    var value = Number(input.value);
    var kind = input.getAttribute("data-shown");
    if (kind === "percent") { return (value * 100).toFixed(1) + "%"; }
    if (kind === "index") { return value.toFixed(1); }
    return (value >= 0 ? "+" : "") + value.toFixed(0) + " " + input.getAttribute("data-unit");
  }
  function ready() {
    var form = document.querySelector("form[data-estimate-form]");
    if (!form) { return; }
    form.querySelectorAll("input[type=range][data-shown]").forEach(function (input) {
      var output = document.getElementById(input.id + "-shown");
      input.addEventListener("input", function () { if (output) { output.textContent = shown(input); } });
    });
    form.addEventListener("change", function () {
      if (!window.htmx) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
}());

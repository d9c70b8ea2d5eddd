/* loss-spec: MathJax 3 does not break lines, so an inline formula wider than
   its line would stick out of a narrow window.  Mark such formulas (and only
   those) so that site.css lets them scroll sideways on their own. */
(function () {
  "use strict";

  function blockOf(el) {
    var a = el.parentElement;
    while (a && getComputedStyle(a).display.indexOf("inline") === 0) {
      a = a.parentElement;
    }
    return a;
  }

  function markWideFormulas() {
    var formulas = document.querySelectorAll('mjx-container:not([display="true"])');
    for (var i = 0; i < formulas.length; i++) {
      var el = formulas[i];
      el.classList.remove("loss-spec-wide");
      var block = blockOf(el);
      if (block && el.getBoundingClientRect().width > block.clientWidth) {
        el.classList.add("loss-spec-wide");
      }
    }
  }

  window.addEventListener("load", function () {
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
      return;
    }
    MathJax.startup.promise.then(function () {
      markWideFormulas();
      window.addEventListener("resize", markWideFormulas);
    });
  });
})();

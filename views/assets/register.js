// Registration form enhancements. Without JavaScript the server checks everything on submit.
(function () {
  // The strength meter mirrors countCharacterClasses in src/accounts/password-policy.ts.
  function countClasses(password) {
    var upper = false, lower = false, digit = false, symbol = false;
    for (var i = 0; i < password.length; i += 1) {
      var c = password.charAt(i);
      if (c >= 'A' && c <= 'Z') upper = true;
      else if (c >= 'a' && c <= 'z') lower = true;
      else if (c >= '0' && c <= '9') digit = true;
      else symbol = true;
    }
    return Number(upper) + Number(lower) + Number(digit) + Number(symbol);
  }
  function strength(password, loginName) {
    var length = Array.from(password).length;
    var classes = countClasses(password);
    var ok = length >= 8 && length <= 128 && classes >= 3 && (!loginName || password.toLowerCase() !== loginName.toLowerCase());
    if (!ok) return 'weak';
    return length >= 12 && classes === 4 ? 'strong' : 'medium';
  }
  var password = document.querySelector('[data-strength-for]');
  var meter = document.querySelector('[data-strength-meter]');
  if (password && meter) {
    var loginName = document.getElementById(password.getAttribute('data-strength-for'));
    var text = meter.querySelector('[data-strength-text]');
    var labels = {};
    Array.prototype.forEach.call(meter.querySelectorAll('[data-level]'), function (bar) { labels[bar.getAttribute('data-level')] = bar.textContent; });
    var update = function () {
      meter.hidden = password.value === '';
      var level = strength(password.value, loginName ? loginName.value : '');
      meter.setAttribute('data-strength', level);
      if (text) text.textContent = labels[level];
    };
    password.addEventListener('input', update);
    if (loginName) loginName.addEventListener('input', update);
  }

  // Only the document types of the chosen identity type are offered.
  var identity = document.getElementById('identityType');
  var documentType = document.getElementById('documentType');
  if (identity && documentType) {
    var groups = Array.prototype.slice.call(documentType.querySelectorAll('optgroup'));
    var sync = function () {
      groups.forEach(function (group) {
        var match = group.getAttribute('data-identity') === identity.value;
        group.hidden = !match;
        group.disabled = !match;
      });
      var selected = documentType.selectedOptions[0];
      if (!selected || selected.parentNode.disabled) {
        var first = groups.filter(function (g) { return !g.disabled; })[0];
        documentType.value = first && first.querySelector('option') ? first.querySelector('option').value : '';
      }
    };
    identity.addEventListener('change', sync);
    sync();
  }
})();

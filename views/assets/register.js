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

  // Only the document types of the chosen identity type are offered (each person on the form).
  Array.prototype.forEach.call(document.querySelectorAll('select[data-identity-select]'), function (documentType) {
    var identity = document.getElementById(documentType.getAttribute('data-identity-select'));
    if (!identity) return;
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
  });

  // A legal entity gives its USCC (domestic) or its own registration number (HMT, foreign): only the
  // field of the chosen region shows. Without JavaScript both show, each with a hint saying who fills it.
  var regions = document.querySelectorAll('input[name="registrationRegion"]');
  var regionFields = document.querySelectorAll('[data-regions]');
  if (regions.length && regionFields.length) {
    var showRegion = function () {
      var chosen = document.querySelector('input[name="registrationRegion"]:checked');
      Array.prototype.forEach.call(regionFields, function (field) {
        field.hidden = !chosen || field.getAttribute('data-regions').split(' ').indexOf(chosen.value) === -1;
      });
    };
    Array.prototype.forEach.call(regions, function (radio) { radio.addEventListener('change', showRegion); });
    showRegion();
  }

  // 长期有效 stands for a validity date: the date field rests while it is ticked.
  Array.prototype.forEach.call(document.querySelectorAll('input[data-long-term]'), function (date) {
    var longTerm = document.getElementById(date.getAttribute('data-long-term'));
    if (!longTerm) return;
    var sync = function () { date.disabled = longTerm.checked; };
    longTerm.addEventListener('change', sync);
    sync();
  });
})();

// 获取验证码 and 换一张 without leaving the page, so nothing typed (passwords included) is lost.
// Without JavaScript the button posts the form and the server answers with the same page.
(function () {
  var button = document.querySelector('[data-sms-send]');
  var refresh = document.querySelector('[data-captcha-refresh]');
  var form = button && button.form;
  if (!form || !window.fetch) return;
  // The mobile the code goes to: the person's own, or on the legal form the main agent's.
  var mobileField = button.getAttribute('data-mobile-field');

  function showNote(field, kind, text) {
    var input = document.getElementById(field);
    var container = input && input.closest('.field');
    if (!container) return;
    var old = document.getElementById(field + '-note');
    if (old) old.remove();
    var note = document.createElement('p');
    note.id = field + '-note';
    note.className = kind === 'error' ? 'field__error' : 'field__ok';
    note.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    note.textContent = text;
    container.appendChild(note);
    container.classList.toggle('field--error', kind === 'error');
    if (kind === 'error') input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function newCaptcha() {
    return fetch(refresh.getAttribute('data-captcha-refresh'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.json(); })
      .then(function (challenge) {
        form.querySelector('.captcha img').src = challenge.imageDataUrl;
        form.querySelector('input[name="captchaId"]').value = challenge.id;
        form.querySelector('input[name="captcha"]').value = '';
      });
  }

  if (refresh) {
    refresh.addEventListener('click', function (event) {
      event.preventDefault();
      newCaptcha().then(function () { form.querySelector('input[name="captcha"]').focus(); });
    });
  }

  button.addEventListener('click', function (event) {
    event.preventDefault();
    [mobileField, 'captcha', 'smsCode'].forEach(function (field) {
      var old = document.getElementById(field + '-note');
      if (old) old.remove();
    });
    var body = {
      mobile: form.elements[mobileField].value,
      purpose: button.getAttribute('data-sms-purpose') || 'register',
      captchaId: form.elements.captchaId.value,
      captcha: form.elements.captcha.value,
    };
    fetch(button.getAttribute('data-sms-send'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': form.elements.csrf.value },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      })
      .then(function (result) {
        if (result.ok) {
          showNote('smsCode', 'ok', button.getAttribute('data-sent-text').replace('{seconds}', result.answer.resend_after_seconds));
          form.elements.smsCode.focus();
        } else {
          var fields = result.answer.fields || {};
          var shown = false;
          Object.keys(fields).forEach(function (field) {
            var target = field === 'mobile' ? mobileField : field;
            if (document.getElementById(target)) { showNote(target, 'error', fields[field]); shown = true; }
          });
          if (!shown) showNote('smsCode', 'error', result.answer.error_description);
        }
        // A captcha answers once, right or wrong: the next request needs a new one.
        return newCaptcha();
      })
      .catch(function () { form.requestSubmit(button); });
  });
})();

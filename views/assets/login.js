// Progressive enhancement for the login page. Without JavaScript the tabs are plain links that
// render the other window on the server, and everything below still works as links and forms.
(function () {
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"][data-window]'));
  if (!tabs.length) return;
  var langLink = document.querySelector('.lang-switch');

  // The language link must reopen the window the user is looking at (also after a failed POST).
  function updateLanguageLink(tab) {
    if (!langLink) return;
    var current = new URL(langLink.href, location.href);
    var target = new URL(tab.href, location.href);
    target.searchParams.set('lang', current.searchParams.get('lang') || '');
    langLink.href = target.pathname + target.search;
  }

  function panelOf(tab) {
    return document.getElementById(tab.getAttribute('aria-controls'));
  }

  function select(tab, focus) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute('aria-selected', selected ? 'true' : 'false');
      other.classList.toggle('is-active', selected);
      other.setAttribute('tabindex', selected ? '0' : '-1');
      panelOf(other).hidden = !selected;
    });
    updateLanguageLink(tab);
    if (focus) tab.focus();
  }

  function tabFor(window) {
    return tabs.filter(function (tab) { return tab.getAttribute('data-window') === window; })[0];
  }

  // ARIA tabs pattern (automatic activation): one tab stop; arrows, Home and End move between tabs.
  tabs.forEach(function (tab, index) {
    tab.setAttribute('tabindex', tab.getAttribute('aria-selected') === 'true' ? '0' : '-1');
    tab.addEventListener('click', function (event) {
      event.preventDefault();
      select(tab, false);
      history.replaceState(null, '', tab.getAttribute('href'));
    });
    tab.addEventListener('keydown', function (event) {
      var target;
      if (event.key === 'ArrowRight' || event.key === 'ArrowDown') target = tabs[(index + 1) % tabs.length];
      else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') target = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === 'Home') target = tabs[0];
      else if (event.key === 'End') target = tabs[tabs.length - 1];
      if (!target) return;
      event.preventDefault();
      select(target, true);
      history.replaceState(null, '', target.getAttribute('href'));
    });
  });

  // "Switch to the right window": carry the login name over so only the password is typed again.
  Array.prototype.forEach.call(document.querySelectorAll('[data-switch-window]'), function (link) {
    link.addEventListener('click', function (event) {
      var tab = tabFor(link.getAttribute('data-switch-window'));
      if (!tab) return;
      event.preventDefault();
      var from = link.closest('[role="tabpanel"]');
      var to = panelOf(tab);
      var name = from && from.querySelector('input[name="loginName"]');
      var targetName = to.querySelector('input[name="loginName"]');
      if (name && targetName && !targetName.value) targetName.value = name.value;
      select(tab, false);
      history.replaceState(null, '', tab.getAttribute('href'));
      to.querySelector(targetName && targetName.value ? 'input[type="password"]' : 'input[name="loginName"]').focus();
    });
  });

  var active = tabs.filter(function (tab) { return tab.getAttribute('aria-selected') === 'true'; })[0] || tabs[0];
  updateLanguageLink(active);

  // After a refused attempt, put the keyboard where the user acts next: the link to the right
  // window, or else the first field still to fill (the password is never sent back).
  var panel = panelOf(active);
  if (panel.querySelector('[role="alert"], [aria-invalid="true"]')) {
    var next = panel.querySelector('[data-switch-window]') ||
      Array.prototype.filter.call(panel.querySelectorAll('input[required]'), function (input) { return !input.value; })[0] ||
      panel.querySelector('[aria-invalid="true"]');
    if (next) next.focus();
  }
})();

// "Show another captcha" without leaving the page, so what the user typed stays. Without
// JavaScript the link reloads the page with a new captcha.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll('[data-captcha-refresh]'), function (link) {
    link.addEventListener('click', function (event) {
      var field = link.closest('.field--captcha');
      if (!field || !window.fetch) return;
      event.preventDefault();
      fetch(link.getAttribute('data-captcha-refresh'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (challenge) {
          field.querySelector('img').src = challenge.imageDataUrl;
          field.querySelector('input[name="captchaId"]').value = challenge.id;
          var input = field.querySelector('input[name="captcha"]');
          input.value = '';
          input.focus();
        })
        .catch(function () { location.href = link.href; });
    });
  });
})();

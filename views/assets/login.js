// Progressive enhancement: switch login windows without a page load. Without JavaScript the tabs
// are plain links that render the other window on the server.
(function () {
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"][data-window]'));
  function select(tab, focus) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute('aria-selected', selected ? 'true' : 'false');
      other.classList.toggle('is-active', selected);
      other.setAttribute('tabindex', selected ? '0' : '-1');
      document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
    });
    if (focus) tab.focus();
  }
  tabs.forEach(function (tab, index) {
    tab.setAttribute('tabindex', tab.getAttribute('aria-selected') === 'true' ? '0' : '-1');
    tab.addEventListener('click', function (event) {
      event.preventDefault();
      select(tab, false);
      history.replaceState(null, '', tab.getAttribute('href'));
    });
    tab.addEventListener('keydown', function (event) {
      var next = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (next) {
        event.preventDefault();
        select(tabs[(index + next + tabs.length) % tabs.length], true);
      }
    });
  });
})();

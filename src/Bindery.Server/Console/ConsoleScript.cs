namespace Bindery.AdminConsole;

/// <summary>
/// The console's one script, served at <c>/console/console.js</c> (no CDN, no framework, no inline script: the
/// console's Content-Security-Policy is <c>default-src 'self'</c>). It only enhances: the device import form
/// (<c>form[data-import]</c>) is sent with XMLHttpRequest so a <c>&lt;progress&gt;</c> bar can show the upload (bytes
/// sent) and then the import (indeterminate until the server answers); the answer's <c>#import-outcome</c> (counts,
/// rejected lines, the report's download form) replaces the page's. Without JavaScript the form posts as a plain form
/// and the page that comes back shows the same outcome.
/// </summary>
internal static class ConsoleScript
{
    public const string Js = """
        // Bindery console: progress for the device import (docs/console.md, "Import"). The plain form works without it.
        (function () {
          'use strict';
          var form = document.querySelector('form[data-import]');
          var box = document.getElementById('import-progress');
          if (!form || !box || !window.XMLHttpRequest || !window.FormData) { return; }
          var bar = box.querySelector('progress');
          var label = box.querySelector('[data-progress-label]');
          var button = form.querySelector('button[type=submit]');

          function show(state, text, fraction) {
            box.hidden = false;
            box.setAttribute('data-state', state);
            label.textContent = text;
            if (fraction === null) { bar.removeAttribute('value'); } else { bar.value = Math.round(fraction * bar.max); }
          }

          function finish(state, text) {
            show(state, text, state === 'done' ? 1 : 0);
            button.disabled = false;
          }

          form.addEventListener('submit', function (event) {
            event.preventDefault();
            var xhr = new XMLHttpRequest();
            xhr.open('POST', form.action);
            xhr.responseType = 'document';
            xhr.upload.onprogress = function (e) {
              if (e.lengthComputable && e.total > 0) {
                show('uploading', 'Uploading: ' + Math.round(100 * e.loaded / e.total) + '%', e.loaded / e.total);
              }
            };
            xhr.upload.onload = function () { show('importing', 'Uploaded; importing…', null); };
            xhr.onload = function () {
              if (xhr.status === 401) { window.location.assign('/console/signin'); return; }
              var fresh = xhr.response && xhr.response.getElementById('import-outcome');
              var outcome = document.getElementById('import-outcome');
              if (!fresh || !outcome) { finish('failed', 'The server answered ' + xhr.status + '; nothing shown. Try again.'); return; }
              outcome.replaceWith(document.importNode(fresh, true));
              var refusal = fresh.querySelector('[role=alert]');
              var result = fresh.querySelector('[role=status]');
              if (refusal) {
                finish('refused', 'Refused: ' + refusal.textContent.trim());
              } else {
                form.reset();
                finish('done', 'Done. ' + (result ? result.textContent.trim() : ''));
              }
            };
            xhr.onerror = function () { finish('failed', 'The upload failed (connection lost). Try again.'); };
            button.disabled = true;
            show('uploading', 'Uploading: 0%', 0);
            xhr.send(new FormData(form));
          });
        })();
        """;
}

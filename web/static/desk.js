// The operator's page: open a dossier, watch its pages arrive and be
// read (server-sent events), reorder, re-scan or delete them, submit, and
// open the signed PDF.
'use strict';
(function () {
  var $ = Sohoa.$, el = Sohoa.el, call = Sohoa.call, say = Sohoa.say;
  var code = '', dossier = null, events = null, rescanAt = 0;
  var statusText = {
    created: 'Mới tạo', uploading: 'Đang nhận trang', submitted: 'Đã nộp, chờ xử lý', processing: 'Đang xử lý',
    assembled: 'Đã ghép PDF, chờ ký', signed: 'Đã ký số', delivered: 'Đã chuyển hệ thống một cửa', failed: 'Lỗi'
  };
  var pageText = { uploaded: 'Đã nhận', processed: 'Đã đọc xong', failed: 'Lỗi' };
  function editable() { return dossier && (dossier.status === 'created' || dossier.status === 'uploading'); }

  function button(id, label, aria, fn) {
    var b = el('button', { type: 'button', id: id, 'aria-label': aria }, label);
    b.addEventListener('click', fn);
    return b;
  }

  function render(d) {
    dossier = d;
    $('status').textContent = statusText[d.status] || d.status;
    $('status').dataset.status = d.status;
    $('failure').textContent = d.failure ? 'Lý do lỗi: ' + JSON.stringify(d.failure) : '';
    var focused = document.activeElement && document.activeElement.id;
    var list = $('pages');
    list.textContent = '';
    d.pages.forEach(function (p, i) {
      var li = el('li', { 'data-position': p.position, 'data-sha256': p.sha256 });
      // The picture changes once the page is processed (turned upright,
      // straightened): its status is part of the URL.
      var img = el('img', { src: '/web/thumbs/' + d.code + '/' + p.position + '?v=' + p.sha256.slice(0, 16) + '-' + p.status,
        alt: 'Ảnh thu nhỏ trang ' + p.position, loading: 'lazy' });
      if (p.status === 'processed') img.addEventListener('mouseenter', function () { showText(p.position); });
      li.appendChild(img);
      li.appendChild(el('p', { class: 'page-status' }, 'Trang ' + p.position + ': ' + (pageText[p.status] || p.status) +
        (p.stage ? ' (' + p.stage + ')' : '')));
      if (p.warnings && p.warnings.length) {
        var ul = el('ul', { class: 'warnings', 'aria-label': 'Cảnh báo trang ' + p.position });
        p.warnings.forEach(function (w) { ul.appendChild(el('li', { class: 'warning' }, w)); });
        li.appendChild(ul);
      }
      if (p.error) li.appendChild(el('p', { class: 'error' }, p.error));
      if (p.status === 'processed') {
        li.appendChild(button('text-' + p.position, 'Xem chữ', 'Xem chữ nhận dạng được ở trang ' + p.position, function () { showText(p.position); }));
      }
      if (editable()) {
        if (i > 0) li.appendChild(button('up-' + p.position, 'Lên', 'Chuyển trang ' + p.position + ' lên trước', function () { move(i, i - 1); }));
        if (i < d.pages.length - 1) li.appendChild(button('down-' + p.position, 'Xuống', 'Chuyển trang ' + p.position + ' xuống sau', function () { move(i, i + 1); }));
        li.appendChild(button('rescan-' + p.position, 'Quét lại', 'Quét lại trang ' + p.position, function () { rescanAt = p.position; $('rescan-file').click(); }));
        li.appendChild(button('delete-' + p.position, 'Xóa', 'Xóa trang ' + p.position, function () { remove(p.position); }));
      }
      list.appendChild(li);
    });
    $('page-count').textContent = d.pages.length;
    $('submit').hidden = !editable();
    $('files').disabled = !editable();
    if (focused && $(focused)) $(focused).focus();
    if (d.status === 'signed' || d.status === 'delivered') showPDF();
  }

  async function act(fn) {
    try { await fn(); } catch (e) { say('Không thực hiện được: ' + e.message, true); }
  }
  function move(from, to) {
    act(async function () {
      var order = dossier.pages.map(function (p) { return p.position; });
      var x = order[from]; order[from] = order[to]; order[to] = x;
      render(await call('POST', 'dossiers/' + code + '/pages/order', { order: order }));
      say('Đã đổi thứ tự trang.');
    });
  }
  function remove(pos) {
    act(async function () {
      render(await call('DELETE', 'dossiers/' + code + '/pages/' + pos));
      say('Đã xóa trang ' + pos + '.');
    });
  }

  // showText shows what OCR read on a page (on hover of its picture, or
  // its button from the keyboard). Only the latest request's answer is
  // shown: a hover that fired while the pages were redrawn must not
  // overwrite, by answering late, the page the operator asked for since.
  var textAsked = 0;
  function showText(pos) {
    var asked = ++textAsked;
    act(async function () {
      var t = await call('GET', '/web/text/' + code + '/' + pos);
      if (asked !== textAsked) return;
      $('page-text').textContent = t.ready ? 'Trang ' + pos + ' (độ tin cậy ' + Math.round(t.ocr_confidence) + '%):\n' + t.text :
        'Trang ' + pos + ' chưa đọc xong.';
      $('page-text').dataset.position = pos;
    });
  }

  async function showPDF() {
    if (!$('pdf').hidden) return;
    try {
      var l = await call('GET', 'dossiers/' + code + '/pdf');
      $('pdf').href = l.url;
      $('pdf').hidden = false;
    } catch (e) { say('Chưa lấy được bản PDF: ' + e.message, true); }
  }

  function follow() {
    if (events) events.close();
    events = new EventSource('/web/api/dossiers/' + encodeURIComponent(code) + '/progress');
    events.addEventListener('dossier', function (ev) {
      var d = JSON.parse(ev.data);
      render(d);
      if (d.status === 'signed' || d.status === 'delivered' || d.status === 'failed') { events.close(); events = null; }
    });
    // The browser reconnects by itself after a dropped stream; a refused
    // one (the session ended) it gives up on.
    events.addEventListener('error', function () {
      if (events && events.readyState === EventSource.CLOSED) say('Mất kết nối theo dõi hồ sơ: hãy đăng nhập lại hoặc tải lại trang.', true);
    });
  }

  async function open(c) {
    code = c;
    $('pdf').hidden = true;
    $('code').textContent = c;
    $('dossier').hidden = false;
    render(await call('GET', 'dossiers/' + encodeURIComponent(c)));
    follow();
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  var types = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', tif: 'image/tiff', tiff: 'image/tiff', pdf: 'application/pdf' };
  // send uploads one file and returns its SHA-256; the service checks
  // the bytes against it before it takes the page.
  async function send(file) {
    if (!window.crypto || !crypto.subtle) throw new Error('trình duyệt không tính được SHA-256 ở trang không bảo mật (cần HTTPS)');
    var type = file.type || types[(file.name.split('.').pop() || '').toLowerCase()] || '';
    var sum = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    var u = await call('POST', 'dossiers/' + code + '/uploads', { sha256: sum, size: file.size, content_type: type });
    if (!u.exists) {
      var h = {};
      Object.keys(u.upload.headers || {}).forEach(function (k) { h[k] = u.upload.headers[k][0]; });
      var r = await fetch(u.upload.url, { method: u.upload.method || 'PUT', headers: h, body: file });
      if (!r.ok) throw new Error('tải lên ' + file.name + ': HTTP ' + r.status);
    }
    return sum;
  }

  Sohoa.start(['operator', 'admin'], function () {
    $('create-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      act(async function () {
        var d = await call('POST', 'dossiers', { procedure: $('procedure').value.trim(), citizen_id: $('citizen').value.trim(),
          receipt_no: $('receipt').value.trim(), queue: $('queue').value });
        say('Đã tạo hồ sơ ' + d.code + '.');
        await open(d.code);
        $('files').focus();
      });
    });
    $('open-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      act(function () { return open($('open-code').value.trim()); });
    });
    $('files').addEventListener('change', function () {
      var files = Array.prototype.slice.call($('files').files);
      act(async function () {
        for (var i = 0; i < files.length; i++) {
          var next = dossier.pages.reduce(function (m, p) { return Math.max(m, p.position); }, 0) + 1;
          var sum = await send(files[i]);
          render(await call('POST', 'dossiers/' + code + '/pages', { position: next, sha256: sum }));
        }
        $('files').value = '';
        say('Đã nhận ' + files.length + ' tệp.');
      });
    });
    $('rescan-file').addEventListener('change', function () {
      var f = $('rescan-file').files[0];
      if (!f) return;
      act(async function () {
        var sum = await send(f);
        render(await call('PUT', 'dossiers/' + code + '/pages/' + rescanAt, { sha256: sum }));
        $('rescan-file').value = '';
        say('Đã thay trang ' + rescanAt + '.');
      });
    });
    $('submit').addEventListener('click', function () {
      act(async function () {
        await call('POST', 'dossiers/' + code + '/submit');
        say('Đã nộp hồ sơ ' + code + '; đang số hóa.');
        if (!events) follow();
      });
    });
  });
})();

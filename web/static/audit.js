// The auditor's page: find dossiers, list their originals with hashes
// and retention, run a server-side verification, read the trail.
'use strict';
(function () {
  var $ = Sohoa.$, el = Sohoa.el, call = Sohoa.call, say = Sohoa.say;
  var code = '';
  var statusText = { signed: 'Đã ký số', delivered: 'Đã chuyển', failed: 'Lỗi', created: 'Mới tạo', uploading: 'Đang nhận trang',
    submitted: 'Đã nộp', processing: 'Đang xử lý', assembled: 'Đã ghép PDF' };

  function cell(tr, text, cls) { var td = el('td', cls ? { class: cls } : {}, text); tr.appendChild(td); return td; }

  async function search() {
    var q = new URLSearchParams();
    [['code', 's-code'], ['citizen_id', 's-citizen'], ['from', 's-from'], ['to', 's-to']].forEach(function (p) {
      var v = $(p[1]).value.trim();
      if (v) q.set(p[0], v);
    });
    var r = await call('GET', '/web/search?' + q.toString());
    var body = $('results').querySelector('tbody');
    body.textContent = '';
    r.items.forEach(function (d) {
      var tr = el('tr');
      var b = el('button', { type: 'button', class: 'open', 'aria-label': 'Xem hồ sơ ' + d.code }, d.code);
      b.addEventListener('click', function () { open(d.code).catch(function (e) { say(e.message, true); }); });
      tr.appendChild(el('td')).appendChild(b);
      cell(tr, d.procedure); cell(tr, d.office); cell(tr, d.citizen_id || ''); cell(tr, Sohoa.date(d.created_at)); cell(tr, statusText[d.status] || d.status);
      body.appendChild(tr);
    });
    $('results').hidden = false;
    say('Tìm thấy ' + r.items.length + ' hồ sơ.');
  }

  async function loadTrail() {
    var t = await call('GET', 'dossiers/' + code + '/trail');
    $('chain').textContent = t.chain_ok ? 'Chuỗi băm toàn vẹn (' + t.records.length + ' bản ghi).' :
      'Chuỗi băm bị phá vỡ: ' + (t.problems || []).join('; ');
    $('chain').className = t.chain_ok ? 'ok' : 'error';
    var body = $('trail').querySelector('tbody');
    body.textContent = '';
    t.records.forEach(function (r) {
      var tr = el('tr');
      cell(tr, String(r.id)); cell(tr, Sohoa.date(r.at)); cell(tr, r.actor); cell(tr, r.action);
      cell(tr, r.page ? String(r.page) : ''); cell(tr, r.hash, 'hash');
      body.appendChild(tr);
    });
  }

  async function open(c) {
    code = c;
    $('code').textContent = c;
    $('report').textContent = '';
    var o = await call('GET', 'dossiers/' + encodeURIComponent(c) + '/originals');
    var body = $('originals').querySelector('tbody');
    body.textContent = '';
    o.originals.forEach(function (x) {
      var tr = el('tr', { 'data-sha256': x.sha256 });
      cell(tr, String(x.position) + (x.current ? '' : ' (đã thay/xóa)'));
      cell(tr, x.sha256, 'hash'); cell(tr, String(x.size)); cell(tr, x.uploader);
      cell(tr, x.retain_until ? new Date(x.retain_until).toLocaleDateString('vi-VN') : '');
      tr.appendChild(el('td')).appendChild(el('a', { href: '/web/api/dossiers/' + c + '/originals/' + x.sha256,
        download: x.sha256, 'aria-label': 'Tải bản gốc trang ' + x.position }, 'Tải về'));
      body.appendChild(tr);
    });
    $('dossier').hidden = false;
    await loadTrail();
    $('verify').focus();
  }

  async function verify() {
    $('report').textContent = 'Đang kiểm tra…';
    var r = await call('POST', 'dossiers/' + code + '/verify');
    var out = $('report');
    out.textContent = '';
    out.appendChild(el('p', { id: 'verdict', class: r.ok ? 'ok' : 'error' },
      r.ok ? 'Hợp lệ: chữ ký số, PDF/A và mọi bản gốc đều đúng.' : 'Không hợp lệ.'));
    var ul = el('ul');
    (r.problems || []).forEach(function (p) { ul.appendChild(el('li', { class: 'error' }, p)); });
    (r.signatures || []).forEach(function (s) {
      ul.appendChild(el('li', {}, 'Chữ ký của ' + (s.signer || '?') + (s.signingTime ? ', lúc ' + Sohoa.date(s.signingTime) : '') +
        (s.valid ? ': hợp lệ' : ': không hợp lệ') + (s.coversWholeFile ? ', phủ toàn bộ tệp.' : ', không phủ toàn bộ tệp.')));
    });
    out.appendChild(el('p', {}, 'PDF/A: ' + (r.pdfa ? 'đạt' : 'không đạt') + '; phông chữ nhúng: ' + (r.fontsEmbedded ? 'có' : 'không') + '.'));
    out.appendChild(ul);
    await loadTrail();
  }

  Sohoa.start(['auditor', 'admin'], function () {
    $('search-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      search().catch(function (e) { say('Không tìm được: ' + e.message, true); });
    });
    $('verify').addEventListener('click', function () {
      verify().catch(function (e) { say('Không kiểm tra được: ' + e.message, true); });
    });
  });
})();

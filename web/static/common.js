// Shared by the desk and audit pages: the session, the API calls (with
// the CSRF token on every request that changes something), messages.
'use strict';
var Sohoa = (function () {
  var csrf = '';
  function $(id) { return document.getElementById(id); }
  function say(text, isError) {
    var m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // call sends a request to path ("dossiers/..." goes to the API under
  // /web/api/; an absolute path as it is) and returns its JSON.
  async function call(method, path, body) {
    var opts = { method: method, headers: {}, credentials: 'same-origin' };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    var r = await fetch(path.charAt(0) === '/' ? path : '/web/api/' + path, opts);
    var data = null;
    if ((r.headers.get('Content-Type') || '').indexOf('json') >= 0) data = await r.json();
    if (!r.ok) {
      var e = new Error((data && data.detail) || ('HTTP ' + r.status));
      e.status = r.status;
      throw e;
    }
    return data;
  }
  function showApp(s, roles, onReady) {
    if (roles.indexOf(s.role) < 0) {
      $('login').hidden = false;
      $('login-error').textContent = 'Mã truy cập này (vai trò ' + s.role + ') không dùng được ở trang này.';
      return;
    }
    csrf = s.csrf;
    $('login').hidden = true;
    $('app').hidden = false;
    $('who').hidden = false;
    $('who').textContent = s.name + (s.office ? ' — ' + s.office : '');
    $('logout').hidden = false;
    onReady(s);
  }
  // start shows the login form, or the page when a session exists.
  function start(roles, onReady) {
    $('login-form').addEventListener('submit', async function (ev) {
      ev.preventDefault();
      $('login-error').textContent = '';
      try {
        var s = await call('POST', '/web/login', { token: $('token').value });
        $('token').value = '';
        showApp(s, roles, onReady);
      } catch (e) {
        $('login-error').textContent = 'Đăng nhập không được: ' + e.message;
      }
    });
    $('logout').addEventListener('click', async function () {
      try { await call('POST', '/web/logout'); } catch (e) { /* the session is gone either way */ }
      location.reload();
    });
    call('GET', '/web/session').then(function (s) { showApp(s, roles, onReady); }, function () {
      $('login').hidden = false;
      $('token').focus();
    });
  }
  function date(t) { return t ? new Date(t).toLocaleString('vi-VN') : ''; }
  return { $: $, say: say, el: el, call: call, start: start, date: date };
})();

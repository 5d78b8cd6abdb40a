#!/usr/bin/env python3
# check_docs.py: loads every page of the documentation site in headless Chromium and fails on a
# broken link, a missing #anchor, a missing image or stylesheet, a console error or a JS exception.
#
#   python3 docs/tools/check_docs.py SITE_DIR --out OUT_DIR [--screenshot common/rt_task.c.html]
#
# It talks to Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
# messages ending in a NUL byte, the browser reading fd 3 and writing fd 4), so it needs nothing
# but Python's standard library and the Debian chromium package. Before checking the site it runs
# a self-test: a small site with one page per defect, each of which must be reported, and one
# clean page, which must not -- a check that cannot fail would be worth nothing.
# It also runs the generator's unit tests (test_gen_docs.py). OUT_DIR gets report.txt,
# screenshot.png, unit-tests.log, chromium.log and test-results.txt ("passed failed 0").

import argparse
import json
import os
import re
import select
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from html.parser import HTMLParser

sys.dont_write_bytecode = True          # test_gen_docs is imported: write no .pyc beside it
PAGE_TIMEOUT = 20.0


class CDPError(Exception):
    pass


class Chrome:
    """Chrome: one headless browser, driven over the DevTools pipe."""

    def __init__(self, binary, workdir, log_path):
        self.to_r, self.to_w = os.pipe()        # we write commands, the browser reads fd 3
        self.from_r, self.from_w = os.pipe()    # the browser writes fd 4, we read
        args = [binary, '--headless', '--remote-debugging-pipe', '--user-data-dir=' + workdir,
                '--no-first-run', '--no-default-browser-check', '--disable-gpu',
                '--disable-extensions', '--disable-background-networking', '--disable-sync',
                '--disable-component-update', '--disable-default-apps', '--disable-dev-shm-usage',
                '--mute-audio', '--hide-scrollbars', '--window-size=1400,1000',
                # Nothing in the site may come from the network: make any such fetch fail.
                '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
                'about:blank']
        if os.geteuid() == 0:
            args.insert(1, '--no-sandbox')     # Chromium refuses to run as root with its sandbox
        self.log = open(log_path, 'ab')
        fa = [(os.POSIX_SPAWN_DUP2, self.to_r, 3), (os.POSIX_SPAWN_DUP2, self.from_w, 4),
              (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
              (os.POSIX_SPAWN_DUP2, self.log.fileno(), 1), (os.POSIX_SPAWN_DUP2, self.log.fileno(), 2)]
        self.pid = os.posix_spawn(binary, args, os.environ, file_actions=fa, setsid=True)
        os.close(self.to_r)
        os.close(self.from_w)
        self.buf = b''
        self.next_id = 0
        self.events = []
        self.closed = False

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        data = json.dumps(msg).encode() + b'\0'
        while data:
            n = os.write(self.to_w, data)
            data = data[n:]
        return self.next_id

    def read(self, timeout):
        """read: the next message, or None when timeout seconds pass without one."""
        deadline = time.monotonic() + timeout
        while b'\0' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.from_r], [], [], left)
            if not r:
                return None
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise CDPError('chromium exited (see chromium.log)')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=PAGE_TIMEOUT):
        """call: send a command and wait for its answer; events meanwhile are kept."""
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise CDPError('%s: no answer in %.0f s' % (method, timeout))
            if msg.get('id') == mid:
                if 'error' in msg:
                    raise CDPError('%s: %s' % (method, msg['error'].get('message')))
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg)

    def wait_event(self, name, session, timeout):
        """wait_event: wait for the event `name` of this session; the others are kept."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e['method'] == name and e.get('sessionId') == session:
                    return self.events.pop(i)
            msg = self.read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return None
            if 'method' in msg:
                self.events.append(msg)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.send('Browser.close')
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(self.pid, signal.SIGKILL)   # the group we created with setsid
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
        try:
            os.killpg(self.pid, signal.SIGKILL)       # helpers the browser left behind, if any
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (self.to_w, self.from_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()


# What each page reports, evaluated in the page after its load event.
PROBE_JS = r'''
(async () => {
  await new Promise(r => setTimeout(r, 0));
  const links = [];
  for (const a of document.querySelectorAll('a[href]')) links.push(a.href);
  const images = [];
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete) await new Promise(r => { img.onload = img.onerror = r; });
    images.push({src: img.src, ok: img.naturalWidth > 0});
  }
  const styles = [];
  for (const l of document.querySelectorAll('link[rel~="stylesheet"]')) {
    let ok = false;
    try { ok = !!(l.sheet && l.sheet.cssRules.length >= 0); } catch (e) { ok = !!l.sheet; }
    styles.push({href: l.href, ok: ok});
  }
  const scripts = [...document.querySelectorAll('script[src]')].map(s => s.src);
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
      .concat([...document.querySelectorAll('a[name]')].map(e => e.name));
  return JSON.stringify({links, images, styles, scripts, ids, title: document.title});
})()
'''


class IdParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == 'id' or (tag == 'a' and k == 'name'):
                self.ids.add(v)


def file_url(path):
    return 'file://' + urllib.parse.quote(os.path.abspath(path))


def url_path(url):
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path)


def load_page(chrome, session, path):
    """load_page: navigate to path; return (probe result, [problems found while loading])."""
    problems = []
    chrome.events = [e for e in chrome.events if e.get('sessionId') != session]
    res = chrome.call('Page.navigate', {'url': file_url(path)}, session)
    if res.get('errorText'):
        return None, ['the page itself failed to load: ' + res['errorText']]
    if chrome.wait_event('Page.loadEventFired', session, PAGE_TIMEOUT) is None:
        problems.append('no load event within %.0f s' % PAGE_TIMEOUT)
    r = chrome.call('Runtime.evaluate', {'expression': PROBE_JS, 'awaitPromise': True,
                                         'returnByValue': True}, session)
    probe = None
    if 'exceptionDetails' in r:
        problems.append('the link probe failed: %s' % r['exceptionDetails'].get('text'))
    else:
        probe = json.loads(r['result']['value'])
    # Late messages: one more round trip lets anything queued arrive first.
    chrome.call('Runtime.evaluate', {'expression': '0'}, session)
    for e in chrome.events:
        if e.get('sessionId') != session:
            continue
        m, p = e['method'], e.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            text = ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', []))
            problems.append('console.%s: %s' % (p['type'], text))
        elif m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            desc = d.get('exception', {}).get('description') or d.get('text', '')
            problems.append('JS exception: %s' % desc.split('\n')[0])
        elif m == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
            ent = p['entry']
            problems.append('console error (%s): %s %s' % (ent.get('source'), ent.get('text'),
                                                           ent.get('url', '')))
        elif m == 'Network.loadingFailed' and not p.get('canceled'):
            problems.append('a resource failed to load: %s' % p.get('errorText'))
    chrome.events = [e for e in chrome.events if e.get('sessionId') != session]
    return probe, problems


def check_site(chrome, site, pages, screenshot=None, shot_path=None):
    """check_site: {page: [problems]} for every page, links and anchors checked across pages."""
    site = os.path.abspath(site)
    target = chrome.call('Target.createTarget', {'url': 'about:blank'})['targetId']
    session = chrome.call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
    for dom in ('Page', 'Runtime', 'Log', 'Network'):
        chrome.call(dom + '.enable', {}, session)
    chrome.call('Emulation.setDeviceMetricsOverride', {'width': 1400, 'height': 1000,
                                                       'deviceScaleFactor': 1, 'mobile': False}, session)
    results, probes = {}, {}
    for page in pages:
        probe, problems = load_page(chrome, session, os.path.join(site, page))
        results[page] = problems
        probes[page] = probe
        if screenshot and page == screenshot and probe is not None:
            shot = chrome.call('Page.captureScreenshot', {'format': 'png'}, session)
            import base64
            with open(shot_path, 'wb') as f:
                f.write(base64.b64decode(shot['data']))
    ids = {os.path.join(site, p): set(pr['ids']) for p, pr in probes.items() if pr}

    def ids_of(path):
        if path not in ids:
            ps = IdParser()
            with open(path, encoding='utf-8', errors='replace') as f:
                ps.feed(f.read())
            ids[path] = ps.ids
        return ids[path]

    for page, probe in probes.items():
        if probe is None:
            continue
        problems = results[page]
        for url in sorted(set(probe['links'])):
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ('http', 'https', 'mailto', 'javascript', 'data'):
                continue                       # external: not fetched (the check runs offline)
            if parts.scheme != 'file':
                problems.append('link with an unexpected scheme: %s' % url)
                continue
            path = url_path(url)
            if not (path == site or path.startswith(site + os.sep)):
                problems.append('link leaves the site: %s' % path)
                continue
            if os.path.isdir(path):
                path = os.path.join(path, 'index.html')
            if not os.path.isfile(path):
                problems.append('broken link: %s (no such file)' % os.path.relpath(path, site))
                continue
            frag = urllib.parse.unquote(parts.fragment)
            if frag and path.endswith('.html') and frag not in ids_of(path):
                problems.append('broken link: %s#%s (no such anchor)' % (
                    os.path.relpath(path, site), frag))
        for img in probe['images']:
            if not img['ok']:
                problems.append('missing image: %s' % img['src'])
            elif not img['src'].startswith(('file:', 'data:')):
                problems.append('image from the network: %s' % img['src'])
        for st in probe['styles']:
            if not st['ok']:
                problems.append('stylesheet did not load: %s' % st['href'])
            elif not st['href'].startswith('file:'):
                problems.append('stylesheet from the network: %s' % st['href'])
        for src in probe['scripts']:
            if not src.startswith('file:'):
                problems.append('script from the network: %s' % src)
            elif not os.path.isfile(url_path(src)):
                problems.append('missing script: %s' % src)
    chrome.call('Target.closeTarget', {'targetId': target})
    return results


def html_pages(site):
    out = []
    for d, _, fs in os.walk(site):
        for f in fs:
            if f.endswith('.html'):
                out.append(os.path.relpath(os.path.join(d, f), site))
    return sorted(out)


# --- the self-test: every kind of defect must be caught ---------------------------------------
SELFTEST_CASES = {
    'clean.html': (None, ''),
    'broken-link.html': ('broken link', '<p><a href="no-such-page.html">gone</a></p>'),
    'broken-anchor.html': ('no such anchor', '<p><a href="clean.html#no-such-anchor">gone</a></p>'),
    'missing-image.html': ('missing image', '<p><img src="no-such.png" alt="gone"></p>'),
    'console-error.html': ('console.error', '<script>console.error("injected");</script>'),
    'js-exception.html': ('JS exception', '<script>undefined_function_called();</script>'),
    'missing-css.html': ('failed to load', '<link rel="stylesheet" href="no-such.css">'),
}


def self_test(chrome, sample_page, tmp):
    """self_test: a copy of a real page with each defect injected; each must be reported."""
    site = os.path.join(tmp, 'selftest')
    os.makedirs(site)
    with open(sample_page, encoding='utf-8') as f:
        text = f.read()
    # A stand-alone copy: its own stylesheet, no links out of the little site.
    text = re.sub(r'href="[^"#]*style\.css"', 'href="style.css"', text)
    text = re.sub(r'href="(?!#)[^"]*"', 'href="clean.html"', text)
    with open(os.path.join(site, 'style.css'), 'w') as f:
        f.write('body { color: #111; }\n')
    with open(os.path.join(site, 'pixel.png'), 'wb') as f:     # a valid 1x1 PNG
        f.write(bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
                              '1f15c4890000000d49444154789c6360000002000100ffff03000006'
                              '0005570bfde40000000049454e44ae426082'))
    for name, (_, inject) in SELFTEST_CASES.items():
        page = text.replace('</main>', '<p><img src="pixel.png" alt="ok"></p>' + inject + '</main>', 1)
        with open(os.path.join(site, name), 'w', encoding='utf-8') as f:
            f.write(page)
    results = check_site(chrome, site, sorted(SELFTEST_CASES))
    failures = []
    for name, (want, _) in SELFTEST_CASES.items():
        got = results.get(name, [])
        if want is None and got:
            failures.append('%s: a clean page was reported: %s' % (name, '; '.join(got)))
        elif want is not None and not any(want in p for p in got):
            failures.append('%s: the injected defect (%s) was NOT reported (got: %s)' % (
                name, want, '; '.join(got) or 'nothing'))
    return failures


def unit_tests(log_path):
    """unit_tests: the generator's own tests (test_gen_docs.py); (passed, [failed names])."""
    import contextlib
    import io
    import unittest
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import test_gen_docs
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_gen_docs)
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        res = unittest.TextTestRunner(stream=buf, verbosity=2).run(suite)
    with open(log_path, 'w') as f:
        f.write(buf.getvalue())
    bad = [str(t) for t, _ in res.failures + res.errors]
    return res.testsRun - len(bad), bad


def find_chromium():
    for b in ('/usr/lib/chromium/chromium', shutil.which('chromium') or '',
              shutil.which('chromium-browser') or ''):
        if b and os.access(b, os.X_OK):
            return b
    return None


def main():
    ap = argparse.ArgumentParser(description='check the documentation site in headless Chromium')
    ap.add_argument('site')
    ap.add_argument('--out', required=True)
    ap.add_argument('--screenshot', default='common/rt_task.c.html',
                    help='the page to keep a screenshot of (relative to the site)')
    ap.add_argument('--no-self-test', action='store_true')
    args = ap.parse_args()
    site = os.path.abspath(args.site)
    if not os.path.isfile(os.path.join(site, 'index.html')):
        sys.exit('docs-check: %s has no index.html: run make docs first' % args.site)
    binary = find_chromium()
    if not binary:
        sys.exit('docs-check: chromium not found: run `make deps` (Debian package chromium)')
    os.makedirs(args.out, exist_ok=True)
    out = os.path.abspath(args.out)
    for f in ('screenshot.png', 'report.txt', 'chromium.log', 'test-results.txt', 'unit-tests.log'):
        try:
            os.remove(os.path.join(out, f))
        except FileNotFoundError:
            pass
    with open(os.path.join(out, 'test-results.txt'), 'w') as f:
        f.write('0 1 1\n')                     # replaced below if the check gets that far
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix='docs-check-')
    chrome = Chrome(binary, os.path.join(tmp, 'profile'), os.path.join(out, 'chromium.log'))
    passed = failed = 0
    lines = []
    pages = []
    try:
        ok, bad = unit_tests(os.path.join(out, 'unit-tests.log'))
        passed += ok
        failed += len(bad)
        lines += ['FAIL generator test: ' + b for b in bad]
        print('docs-check: generator unit tests: %d passed, %d failed%s' % (
            ok, len(bad), ' (see %s/unit-tests.log)' % args.out if bad else ''))
        pages = html_pages(site)
        if not args.no_self_test:
            sample = os.path.join(site, args.screenshot)
            if not os.path.isfile(sample):
                sample = os.path.join(site, 'index.html')
            st = self_test(chrome, sample, tmp)
            if st:
                failed += 1
                lines += ['FAIL self-test: ' + s for s in st]
                print('docs-check: the self-test FAILED: the check misses defects:\n  '
                      + '\n  '.join(st))
            else:
                passed += 1
                lines.append('ok   self-test: %d injected defects all reported, the clean copy '
                             'passed' % (len(SELFTEST_CASES) - 1))
                print('docs-check: self-test ok (%d injected defects each reported)'
                      % (len(SELFTEST_CASES) - 1))
        shot = os.path.join(out, 'screenshot.png')
        if args.screenshot not in pages:
            failed += 1
            lines.append('FAIL screenshot: %s is not a page of the site' % args.screenshot)
        results = check_site(chrome, site, pages, args.screenshot, shot)
        for page in pages:
            probs = results.get(page, ['not checked'])
            if probs:
                failed += 1
                lines.append('FAIL %s' % page)
                lines += ['       %s' % p for p in probs]
                print('docs-check: FAIL %s\n    %s' % (page, '\n    '.join(probs)))
            else:
                passed += 1
                lines.append('ok   %s' % page)
    except CDPError as e:
        failed += 1
        lines.append('FAIL the browser: %s' % e)
        print('docs-check: the browser failed: %s (see %s/chromium.log)' % (e, args.out))
    finally:
        chrome.close()
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, 'report.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(out, 'test-results.txt'), 'w') as f:
        f.write('%d %d 0\n' % (passed, failed))
    have_shot = os.path.isfile(os.path.join(out, 'screenshot.png'))
    print('docs-check: %d pages loaded in headless Chromium in %.1f s; screenshot: %s'
          % (len(pages), time.monotonic() - t0,
             os.path.join(args.out, 'screenshot.png') if have_shot else 'none'))
    print('docs-check: %d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed or not have_shot else 0)


if __name__ == '__main__':
    main()

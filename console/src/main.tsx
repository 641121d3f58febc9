/**
 * The openkvs web console: a single page served at `/`, routed by the URL hash
 * (`#/` streams, `#/streams/<name>` one stream) so that the server needs to know nothing about it.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { DEFAULT_REGION, Kvs, probeOpenMode, storedSession, storeSession, trySession } from './api';
import { StreamPage } from './stream';
import { StreamsPage } from './streams';
import './styles.css';

type Route = { page: 'streams' } | { page: 'stream'; name: string };

function parseRoute(hash: string): Route {
  const m = /^#\/streams\/(.+)$/.exec(hash);
  if (m) return { page: 'stream', name: decodeURIComponent(m[1]!) };
  return { page: 'streams' };
}

type Auth = { state: 'checking' } | { state: 'sign-in'; message?: string } | { state: 'ready'; kvs: Kvs };

function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    void (async () => {
      const stored = storedSession();
      if (stored) {
        const outcome = await trySession(stored);
        if (outcome.ok) return setAuth({ state: 'ready', kvs: outcome.kvs });
        storeSession(undefined);
        return setAuth({ state: 'sign-in', message: outcome.message });
      }
      const open = await probeOpenMode();
      setAuth(open.ok ? { state: 'ready', kvs: open.kvs } : { state: 'sign-in' });
    })();
  }, []);

  useEffect(() => {
    document.title = route.page === 'stream' ? `${route.name} · openkvs` : 'Streams · openkvs';
  }, [route]);

  const signOut = () => {
    storeSession(undefined);
    setAuth({ state: 'sign-in' });
  };

  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          <span class="dot" aria-hidden="true" /> openkvs
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'streams' ? 'page' : undefined}>
            Streams
          </a>
        </nav>
        <span class="spacer" />
        <ThemeToggle />
        {auth.state === 'ready' && !auth.kvs.session.open && (
          <button type="button" class="link" onClick={signOut}>
            Sign out ({auth.kvs.session.credentials.accessKeyId})
          </button>
        )}
        {auth.state === 'ready' && auth.kvs.session.open && <span class="muted small" title="The server runs without --credentials: no sign-in">open mode</span>}
      </header>
      <main id="main">
        {auth.state === 'checking' && <p class="muted">Connecting to {location.origin}…</p>}
        {auth.state === 'sign-in' && <SignIn message={auth.message} onReady={(kvs) => setAuth({ state: 'ready', kvs })} />}
        {auth.state === 'ready' && route.page === 'streams' && <StreamsPage kvs={auth.kvs} />}
        {auth.state === 'ready' && route.page === 'stream' && <StreamPage key={route.name} kvs={auth.kvs} name={route.name} />}
      </main>
    </>
  );
}

function SignIn(props: { message?: string | undefined; onReady: (kvs: Kvs) => void }) {
  const [message, setMessage] = useState(props.message);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? '').trim();
    const sessionToken = field('sessionToken');
    const session = {
      credentials: { accessKeyId: field('accessKeyId'), secretAccessKey: field('secretAccessKey'), ...(sessionToken ? { sessionToken } : {}) },
      region: field('region') || DEFAULT_REGION,
      open: false,
    };
    setBusy(true);
    const outcome = await trySession(session);
    setBusy(false);
    if (!outcome.ok) return setMessage(outcome.message);
    storeSession(session);
    props.onReady(outcome.kvs);
  };
  return (
    <form class="card signin" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p class="muted">
        This server requires signed requests. Use an access key from its credentials file. The keys stay in this tab (sessionStorage) and sign each request
        in the browser (SigV4); they are never sent.
      </p>
      <label>
        Access key ID
        <input name="accessKeyId" required autocomplete="username" spellcheck={false} />
      </label>
      <label>
        Secret access key
        <input name="secretAccessKey" type="password" required autocomplete="current-password" />
      </label>
      <label>
        Session token <span class="muted">(optional)</span>
        <input name="sessionToken" autocomplete="off" spellcheck={false} />
      </label>
      <label>
        Region
        <input name="region" value={DEFAULT_REGION} spellcheck={false} />
      </label>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Checking…' : 'Sign in'}
      </button>
    </form>
  );
}

function ThemeToggle() {
  const [theme, setTheme] = useState<string>(() => localStorage.getItem('openkvs.theme') ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
    localStorage.setItem('openkvs.theme', theme);
  }, [theme]);
  return (
    <label class="small theme">
      <span class="visually-hidden">Theme</span>
      <select value={theme} onChange={(e) => setTheme((e.currentTarget as HTMLSelectElement).value)} aria-label="Theme">
        <option value="auto">Auto</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);

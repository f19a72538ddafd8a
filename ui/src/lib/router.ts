// A tiny hash router: every view has an address (`#/timeline/api`) so Back, Escape and links
// work, and a test can open any view by setting `location.hash`. It also keeps the trail of
// addresses visited in this window, so a view's back link returns where the person came from
// (the timeline with its zoom and cursor, which the timeline keeps in its address).

/** The timeline's window (`from`, `until`) and cursor (`at`), ms, when not the defaults. */
export interface TimelinePlace {
  from?: number;
  until?: number;
  at?: number;
}

export type Route =
  | { name: 'overview' }
  | ({
      name: 'timeline';
      app: string;
      /** Select the stay running in this environment now. */ env?: string;
    } & TimelinePlace)
  | { name: 'digest'; app: string; digest: string }
  | { name: 'promote'; app: string; to: string; digest: string }
  | { name: 'rollback'; app: string; env: string; /** The earlier digest picked already. */ digest?: string }
  | { name: 'export' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

/** The route of a `location.hash` (`#/digest/api/sha256:...`); empty means the overview. */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = path === '' ? [] : path.split('/').map(safeDecode);
  const [head, ...rest] = parts;
  switch (head) {
    case undefined:
    case 'overview':
      if (rest.length === 0) return { name: 'overview' };
      break;
    case 'timeline':
      if (rest.length === 1) return { name: 'timeline', app: rest[0]!, ...placeOf(query) };
      if (rest.length === 2) return { name: 'timeline', app: rest[0]!, env: rest[1]!, ...placeOf(query) };
      break;
    case 'digest':
      if (rest.length === 2) return { name: 'digest', app: rest[0]!, digest: rest[1]! };
      break;
    case 'promote':
      if (rest.length === 3) return { name: 'promote', app: rest[0]!, to: rest[1]!, digest: rest[2]! };
      break;
    case 'rollback':
      if (rest.length === 2) return { name: 'rollback', app: rest[0]!, env: rest[1]! };
      if (rest.length === 3) return { name: 'rollback', app: rest[0]!, env: rest[1]!, digest: rest[2]! };
      break;
    case 'export':
      if (rest.length === 0) return { name: 'export' };
      break;
    case 'settings':
      if (rest.length === 0) return { name: 'settings' };
      break;
  }
  return { name: 'not-found', path };
}

/** The `href` of a route: `#/timeline/api`. Parts are URI-encoded (`:` of digests stays readable). */
export function href(route: Route): string {
  const p = (...parts: string[]) =>
    `#/${parts.map((s) => encodeURIComponent(s).replace(/%3A/gi, ':')).join('/')}`;
  switch (route.name) {
    case 'overview':
      return '#/';
    case 'timeline':
      return (route.env ? p('timeline', route.app, route.env) : p('timeline', route.app)) + placeQuery(route);
    case 'digest':
      return p('digest', route.app, route.digest);
    case 'promote':
      return p('promote', route.app, route.to, route.digest);
    case 'rollback':
      return route.digest
        ? p('rollback', route.app, route.env, route.digest)
        : p('rollback', route.app, route.env);
    case 'export':
      return p('export');
    case 'settings':
      return p('settings');
    case 'not-found':
      return `#/${route.path}`;
  }
}

/**
 * Where Escape goes from a route: one level up (digest → its app's timeline → overview;
 * promote/rollback → the app's timeline), or nowhere from the overview.
 */
export function parentOf(route: Route): Route | null {
  switch (route.name) {
    case 'overview':
      return null;
    case 'digest':
    case 'promote':
    case 'rollback':
      return { name: 'timeline', app: route.app };
    default:
      return { name: 'overview' };
  }
}

/** `?from=…&until=…&at=…` (RFC 3339, UTC) of the fields that are set; empty when none is. */
function placeQuery(place: TimelinePlace): string {
  const q = (['from', 'until', 'at'] as const)
    .filter((k) => place[k] !== undefined && Number.isFinite(place[k]))
    .map((k) => `${k}=${new Date(place[k]!).toISOString()}`);
  return q.length > 0 ? `?${q.join('&')}` : '';
}

/** The timeline place of a query; times that do not parse are left out. */
function placeOf(query: string): TimelinePlace {
  const out: TimelinePlace = {};
  for (const [k, v] of new URLSearchParams(query)) {
    const t = Date.parse(v);
    if ((k === 'from' || k === 'until' || k === 'at') && !Number.isNaN(t)) out[k] = t;
  }
  return out;
}

// The trail ------------------------------------------------------------------------------------

/** The addresses visited in this window, oldest first; the last is the current one. */
const trail: string[] = [];

/** Start the trail at `hash` (the app's first address). */
export function startTrail(hash: string) {
  trail.length = 0;
  trail.push(hash);
}

/**
 * Note that the address became `hash`: `back` when it is the one before (the trail drops the
 * current one), `same` when nothing changed, else `new` (pushed).
 */
export function visit(hash: string): 'back' | 'same' | 'new' {
  if (hash === trail[trail.length - 1]) return 'same';
  if (trail.length > 1 && trail[trail.length - 2] === hash) {
    trail.pop();
    return 'back';
  }
  trail.push(hash);
  return 'new';
}

/** The current view's address changes in place (the timeline's zoom and cursor): no new step. */
export function replaceHere(route: Route) {
  const hash = href(route);
  if (trail.length === 0) trail.push(hash);
  else trail[trail.length - 1] = hash;
  if (location.hash !== hash) history.replaceState(history.state, '', hash);
}

/** Whether there is a step to go back to in this window. */
export function canGoBack(): boolean {
  return trail.length > 1;
}

/** Where the person came from: the address before the current one, else `fallback`. */
export function cameFrom(fallback: Route): Route {
  const before = trail[trail.length - 2];
  return before === undefined ? fallback : parseHash(before);
}

/** A back link's words for a route: `Overview`, `Timeline of api`, … */
export function backLabel(route: Route): string {
  switch (route.name) {
    case 'overview':
      return 'Overview';
    case 'timeline':
      return `Timeline of ${route.app}`;
    case 'digest':
      return `Digest ${route.digest.replace(/^sha256:/, '').slice(0, 12)}`;
    case 'promote':
      return `Promote ${route.app} into ${route.to}`;
    case 'rollback':
      return `Roll back ${route.app} in ${route.env}`;
    case 'export':
      return 'Export';
    case 'settings':
      return 'Settings';
    case 'not-found':
      return 'Back';
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// A tiny hash router: every view has an address (`#/timeline/api`) so Back, Escape and links
// work, and a test can open any view by setting `location.hash`.

export type Route =
  | { name: 'overview' }
  | { name: 'timeline'; app: string; /** Select the stay running in this environment now. */ env?: string }
  | { name: 'digest'; app: string; digest: string }
  | { name: 'promote'; app: string; to: string; digest: string }
  | { name: 'rollback'; app: string; env: string; /** The earlier digest picked already. */ digest?: string }
  | { name: 'export' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

/** The route of a `location.hash` (`#/digest/api/sha256:...`); empty means the overview. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const parts = path === '' ? [] : path.split('/').map(safeDecode);
  const [head, ...rest] = parts;
  switch (head) {
    case undefined:
    case 'overview':
      if (rest.length === 0) return { name: 'overview' };
      break;
    case 'timeline':
      if (rest.length === 1) return { name: 'timeline', app: rest[0]! };
      if (rest.length === 2) return { name: 'timeline', app: rest[0]!, env: rest[1]! };
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
      return route.env ? p('timeline', route.app, route.env) : p('timeline', route.app);
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

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

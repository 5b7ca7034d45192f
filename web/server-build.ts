// Entry of the server bundle (web/build/server/index.js), loaded by api/portal.ts.
// Besides React Router's server build it exports the load-context key: React Router
// finds context values by key identity, so api/portal.ts must set the value under
// the very object the bundled loaders read it with.
export * from 'virtual:react-router/server-build';
export { portalContext } from './app/portal-context.server.ts';

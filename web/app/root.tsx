// Mantine's base: its CSS variables, a small reset and its global classes. Each component's
// own stylesheet is imported where the component is used (web/vite/mantine-styles.ts), so a
// page links only the styles of what it shows. All of Mantine's styles sit in cascade layers
// (`?mantine-layer`), whose order the <style> below declares first.
import '@mantine/core/styles/baseline.css?mantine-layer';
import '@mantine/core/styles/default-css-variables.css?mantine-layer';
import '@mantine/core/styles/global.css?mantine-layer';
import mantineLayerOrder from 'virtual:mantine-layer-order';
import { ColorSchemeScript, MantineProvider, mantineHtmlProps } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { ReactNode } from 'react';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from 'react-router';
import type { Route } from './+types/root';
// Only shown when something failed, so not part of every page's first load.
const ErrorPage = lazy(() =>
  import('./components/errors/ErrorPage.tsx').then(({ ErrorPage }) => ({ default: ErrorPage })),
);
import { callApi } from './api/client.server.ts';
import { AppFrame } from './components/shell/AppFrame.tsx';
import type { TenantPage } from '../../contracts/index.ts';
import { useCspNonce } from './csp-nonce.ts';
import { portalContext } from './portal-context.server.ts';
import { optionalUser, sessionMiddleware } from './session.server.ts';
import { theme } from './theme.ts';

export const links: Route.LinksFunction = () => [{ rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }];

export const meta: Route.MetaFunction = () => [{ title: 'Atrium' }];

/** How many tenants the header's switcher offers. */
const SWITCHER_TENANTS = 100;

// Opens the session cookie for every loader and action, and writes it back if they changed it.
export const middleware: Route.MiddlewareFunction[] = [sessionMiddleware];

export async function loader({ context, request }: Route.LoaderArgs) {
  const signedIn = await optionalUser(context);
  // The tenants for the header's switcher (the API lists the caller's own; all for admins):
  // the newest page of them; the switcher links to the tenants list for the rest.
  const tenants = signedIn
    ? await callApi<TenantPage>(context, `/api/v1/tenants?limit=${SWITCHER_TENANTS}`, {
        signal: request.signal,
        token: signedIn.accessToken,
      })
    : null;
  return {
    tenants: tenants?.ok ? tenants.body.items.map(({ slug, name }) => ({ slug, name })) : [],
    moreTenants: tenants?.ok === true && tenants.body.nextCursor !== null,
    // The only configuration the browser sees: an explicit, public subset. The Temporal UI
    // (/ops/temporal/, behind Atrium's sign-in) shows every tenant's workflows: operators only.
    temporalUiUrl: signedIn?.user.operatorRole ? context.get(portalContext).temporalUiUrl : undefined,
    // Who is signed in, for the header; never the tokens.
    user: signedIn?.user ?? null,
  };
}

/** The document around every page and around the error boundary, so errors keep the app's chrome. */
export function Layout({ children }: { children: ReactNode }) {
  // Undefined when the root loader itself failed; the frame copes without it.
  const root = useRouteLoaderData<typeof loader>('root');
  // The content security policy only lets inline scripts with this response's nonce run
  // (undefined in the browser, see csp-nonce.ts).
  const nonce = useCspNonce();

  return (
    <html lang="en" {...mantineHtmlProps}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <ColorSchemeScript defaultColorScheme="auto" nonce={nonce} suppressHydrationWarning />
        <Meta />
        {/* Before any stylesheet, so layers rank by this order, not by arrival. */}
        <style>{mantineLayerOrder}</style>
        {/* Stylesheets need no nonce (styles are not nonce-checked, see api/portal.ts).
            Without an explicit one <Links> takes <ServerRouter nonce> on the server but has
            none in the browser, and hydration reports the mismatch. */}
        <Links nonce="" />
      </head>
      <body>
        <MantineProvider theme={theme} defaultColorScheme="auto">
          <AppFrame
            temporalUiUrl={root?.temporalUiUrl}
            user={root?.user ?? null}
            tenants={root?.tenants ?? []}
            moreTenants={root?.moreTenants ?? false}
          >
            {children}
          </AppFrame>
        </MantineProvider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return (
    <Suspense fallback={null}>
      <ErrorPage error={error} />
    </Suspense>
  );
}

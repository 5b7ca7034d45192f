import { Anchor, Group } from '@mantine/core';
import { Link } from 'react-router';

/**
 * Links for a list the API pages by cursor: the next page (the API's `nextCursor`) and back
 * to the first. The other parameters of the page's URL (its filters) are kept. `url` is the
 * loader's normalized `url` argument (request.url of a client navigation is the `.data` one).
 */
export function cursorLinks(url: URL, nextCursor: string | null, param = 'cursor') {
  const withCursor = (cursor: string | null) => {
    const search = new URLSearchParams(url.search);
    if (cursor) search.set(param, cursor);
    else search.delete(param);
    const query = search.toString();
    return query ? `?${query}` : url.pathname;
  };
  return {
    next: nextCursor ? withCursor(nextCursor) : null,
    first: url.searchParams.get(param) ? withCursor(null) : null,
  };
}

export function CursorPager({ links, testId }: { links: ReturnType<typeof cursorLinks>; testId: string }) {
  if (!links.next && !links.first) return null;
  return (
    <Group gap="md" mt="sm" data-testid={testId}>
      {links.first ? (
        <Anchor component={Link} to={links.first} size="sm" data-testid={`${testId}-first`}>
          ← First page
        </Anchor>
      ) : null}
      {links.next ? (
        <Anchor component={Link} to={links.next} size="sm" data-testid={`${testId}-next`}>
          Next page →
        </Anchor>
      ) : null}
    </Group>
  );
}

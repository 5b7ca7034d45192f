// The portal's Mantine stylesheets (web/vite/mantine-styles.ts): which sheets a component
// needs, and the cascade layers that keep a component's rules above those of the components
// it is built from, whatever order the browser receives the sheets in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readMantineStyles } from '../../web/vite/mantine-styles.ts';

const styles = readMantineStyles(fileURLToPath(new URL('../../web', import.meta.url)));
const sheet = (name: string) => `@mantine/core/styles/${name}.css`;
const depth = (specifier: string) => {
  const layer = styles.layerOf(specifier);
  assert.match(layer, /^mantine-\d+$/);
  return Number(layer.slice('mantine-'.length));
};

describe('Mantine styles per component', () => {
  it('a component needs the sheets of what it is built from, those first', () => {
    const tabs = styles.stylesFor(['Tabs']);
    assert.ok(tabs.includes(sheet('UnstyledButton')), tabs.join(', '));
    assert.ok(tabs.indexOf(sheet('UnstyledButton')) < tabs.indexOf(sheet('Tabs')));
    const button = styles.stylesFor(['Button']);
    assert.ok(button.indexOf(sheet('Loader')) < button.indexOf(sheet('Button')), button.join(', '));
  });

  it('puts every sheet in a layer above the layers of the sheets it is built on', () => {
    for (const name of ['Tabs', 'Button', 'ActionIcon', 'Select', 'Modal', 'Burger', 'NavLink']) {
      const needed = styles.stylesFor([name]);
      const own = needed.at(-1)!;
      for (const below of needed.slice(0, -1))
        if (below !== own)
          assert.ok(depth(below) < depth(own), `${below} (${depth(below)}) under ${own} (${depth(own)})`);
    }
  });

  it('declares the base lowest and every layer it hands out, in order', () => {
    const order = styles.layerOrder();
    assert.match(order, /^@layer mantine-base, mantine-0, mantine-1, /);
    assert.equal(styles.layerOf(sheet('baseline')), 'mantine-base');
    assert.equal(styles.layerOf(sheet('global')), 'mantine-base');
    const layers = order.replace(/^@layer |;$/g, '').split(', ');
    for (const specifier of [...styles.stylesFor(['Tabs', 'Modal', 'Select']), ...styles.datesStyles()])
      assert.ok(layers.includes(styles.layerOf(specifier)), `${specifier} in ${styles.layerOf(specifier)}`);
    assert.equal(styles.layerOf('@mantine/dates/styles.css'), layers.at(-1), 'dates sit above all of core');
  });
});

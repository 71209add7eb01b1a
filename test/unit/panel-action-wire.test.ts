import { z } from 'zod';
import { PANEL_ACTIONS, type PanelActionTable } from '../../plugin/domain/panel-actions';
import { panelActionsContract } from '../../scripts/docs';

/** Each action's documented wire schema is what `toWire` really sends, so the README can't drift from the receiver's input. */
const ACTIONS: PanelActionTable = PANEL_ACTIONS;

describe.each(Object.entries(ACTIONS))('panel action %s on the wire', (name, d) => {
  const key = `test:${name}:1`;

  it('its example is a valid payload, and toWire(example) fits the documented schema exactly', () => {
    expect(d.payload.safeParse(d.example).success).toBe(true);
    const wire = d.toWire(d.example, key);
    const strict = (d.wire as z.ZodObject).strict();
    const parsed = strict.safeParse(wire);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('documents every field with a description', () => {
    const json = z.toJSONSchema(d.wire, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, { description?: string }> };
    for (const [field, f] of Object.entries(json.properties)) expect([field, f.description ?? '']).not.toEqual([field, '']);
    const docs = panelActionsContract();
    expect(docs).toContain(`#### \`${name}\``);
    for (const field of Object.keys(json.properties)) expect(docs).toContain(`| \`${field}\` |`);
  });
});

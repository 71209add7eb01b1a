import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import { PanelError } from '../../plugin/errors';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';

/** A panel whose answer a test sets: it records what it applied, or refuses for good. */
export class TestPanel implements PanelApi {
  readonly name = 'test';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: true };
  readonly applied: PanelActionCall[] = [];
  refuse = false;
  async perform(call: PanelActionCall): Promise<PanelResult> {
    if (this.refuse) throw new PanelError('panel_refused', { message: 'credit refused', retryable: false });
    this.applied.push(call);
    return { reference: `ref-${this.applied.length}` };
  }
}

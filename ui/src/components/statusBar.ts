/**
 * The gate's status bar: online or offline, when it last synced, how many scans (and kiosk
 * records, when there are any) wait to upload, and how many people are inside this checkpoint's zone.
 */

import type { DeviceStatus } from '../backend';
import { bindText, formatTime } from '../i18n';
import { h, replaceChildren } from './dom';

export class StatusBar {
  readonly el: HTMLElement;

  constructor() {
    this.el = h('footer', { class: 'status-bar', role: 'status' });
  }

  show(status: DeviceStatus): void {
    const online = h('span', { class: `status-online ${status.online ? 'is-online' : 'is-offline'}` });
    bindText(online, status.online ? 'status.online' : 'status.offline');
    const sync = h('span', { class: 'status-sync' });
    if (status.last_sync_ms) bindText(sync, 'status.lastSync', { time: formatTime(status.last_sync_ms) });
    else bindText(sync, 'status.neverSynced');
    const outbox = bindText(h('span', { class: 'status-outbox' }), 'status.outbox', {
      count: status.outbox_depth,
    });
    const kioskOutbox = status.kiosk_outbox_depth
      ? bindText(h('span', { class: 'status-kiosk-outbox' }), 'status.kioskOutbox', {
          count: status.kiosk_outbox_depth,
        })
      : null;
    const occ = status.occupancy;
    const occupancy = occ
      ? bindText(
          h('span', { class: 'status-occupancy' }),
          occ.capacity ? 'status.occupancyCapacity' : 'status.occupancy',
          { zone: occ.zone, inside: occ.inside, capacity: occ.capacity ?? '' },
        )
      : null;
    replaceChildren(this.el, online, sync, outbox, kioskOutbox, occupancy);
  }
}

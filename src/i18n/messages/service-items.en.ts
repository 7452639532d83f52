import type { serviceItemsZhCN } from './service-items.zh-CN.js';

export const serviceItemsEn: Record<keyof typeof serviceItemsZhCN, string> = {
  'services.title': 'Service items',
  'services.intro': 'The business systems each kind of user can use; choose “Go to service” to enter. Every system signs you in with this unified identity: no separate registration.',
  'services.by_user': 'By user',
  'services.kind.legal': 'Legal entities',
  'services.kind.natural': 'Natural persons',
  'services.hint.legal': 'Enterprises, social organisations and public institutions sign in at the “Legal entity” tab of the sign-in page.',
  'services.hint.natural': 'Individuals sign in at the “Natural person” tab. Systems marked “Only as an authorized agent” need a legal entity to name you as its agent in its My Information.',
  'services.requires_real_name': 'Real-name verification required',
  'services.agents_only': 'Only as an authorized agent of an entity',
  'services.entry': 'Go to service',
  'services.none': 'No business system is open to this kind of user yet.',
  'services.more_help': 'More questions and answers',
} as const;

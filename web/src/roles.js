// How a participant's role reads on the page.

import { t } from './i18n.js';

export function roleName(role) {
  return { medecin: t('Doctor'), patient: t('Patient'), guest: t('Guest') }[role] || role || t('Participant');
}

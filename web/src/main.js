// Routes: `/` the operator page, `/join/<onetoone token>/<session token>` a participant's page.

import { LANGUAGE } from './i18n.js';
import { consultationPage } from './pages/consultation.js';
import { operatorPage } from './pages/operator.js';

document.documentElement.lang = LANGUAGE;
const root = document.getElementById('app');
const join = location.pathname.match(/^\/join\/([^/]+)\/([^/]+)\/?$/);
if (join) consultationPage(root, decodeURIComponent(join[1]), decodeURIComponent(join[2]));
else operatorPage(root);

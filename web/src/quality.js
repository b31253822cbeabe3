// Connection quality as the server reports it (`connectionQuality`, from the SFU's scores of
// what a participant sends and receives): three bars, drawn inline (no icon font), and words.

import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const BARS = { good: 3, fair: 2, poor: 1, lost: 0 };
const WORDS = {
  good: () => t('Connection: good'),
  fair: () => t('Connection: fair'),
  poor: () => t('Connection: poor'),
  lost: () => t('Connection: lost'),
};

export function qualityBadge() {
  const element = document.createElement('span');
  element.className = 'quality';
  element.hidden = true;
  const icon = document.createElementNS(SVG, 'svg');
  icon.setAttribute('viewBox', '0 0 12 12');
  icon.setAttribute('aria-hidden', 'true');
  for (let bar = 0; bar < 3; bar++) {
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', String(1 + bar * 4));
    rect.setAttribute('y', String(8 - bar * 3));
    rect.setAttribute('width', '2.5');
    rect.setAttribute('height', String(3 + bar * 3));
    icon.append(rect);
  }
  element.append(icon, document.createElement('span'));
  return element;
}

export function showQuality(badge, quality) {
  if (!(quality in BARS)) return;
  badge.hidden = false;
  badge.dataset.quality = quality;
  badge.querySelectorAll('rect').forEach((rect, bar) => {
    rect.classList.toggle('lit', bar < BARS[quality]);
  });
  badge.lastChild.textContent = WORDS[quality]();
}

// The pages' words in the browser's language: French or English, English by default.
// t(text, values): the English text is the key (with {name} for a value), so a missing
// translation falls back to it; tests/test_web_i18n.py checks that every key has its French.

const FR = {
  // the consultation page
  'The link is not valid, or the consultation has ended.':
    "Le lien n'est pas valide, ou la consultation est terminée.",
  'This link cannot be used': 'Ce lien ne peut pas être utilisé',
  'Medical form': 'Dossier médical',
  Questionnaire: 'Questionnaire',
  'Waiting for the patient…': 'En attente du patient…',
  'Waiting for the doctor…': 'En attente du médecin…',
  Leave: 'Quitter',
  'End consultation': 'Terminer la consultation',
  'Opened elsewhere': 'Ouverte ailleurs',
  'This consultation was opened in another window.':
    'Cette consultation a été ouverte dans une autre fenêtre.',
  'The consultation has ended': 'La consultation est terminée',
  'Thank you. You can close this page.': 'Merci. Vous pouvez fermer cette page.',
  'Connection failed': 'La connexion a échoué',
  'Connecting…': 'Connexion…',
  'Could not load the consultation: {error}': "La consultation n'a pas pu être chargée : {error}",
  'The connection to the server was lost; reconnecting…':
    'La connexion au serveur a été perdue ; reconnexion…',
  'Reconnecting…': 'Reconnexion…',
  'Connection lost': 'Connexion perdue',
  'The connection to the server was lost.': 'La connexion au serveur a été perdue.',
  'Could not check the waiting room: {error}': "La salle d'attente n'a pas pu être vérifiée : {error}",
  'Could not reload the consultation: {error}': "La consultation n'a pas pu être rechargée : {error}",
  'Reconnected.': 'Reconnecté.',
  'In the waiting room': "En salle d'attente",
  'Waiting room': "Salle d'attente",
  'Reconnecting media…': 'Reconnexion audio et vidéo…',
  Connected: 'Connecté',
  'This browser cannot join': 'Ce navigateur ne peut pas participer',
  'This consultation is end-to-end encrypted, and this browser cannot encrypt video. Open the link in a recent Chrome, Edge, Firefox or Safari.':
    'Cette consultation est chiffrée de bout en bout, et ce navigateur ne sait pas chiffrer la vidéo. Ouvrez le lien dans un Chrome, Edge, Firefox ou Safari récent.',
  'End-to-end encrypted: the server cannot see or hear this consultation.':
    'Chiffrée de bout en bout : le serveur ne peut ni voir ni entendre cette consultation.',
  'Security code ({role})': 'Code de sécurité ({role})',
  'Encryption keys could not be exchanged: {error}':
    "Les clés de chiffrement n'ont pas pu être échangées : {error}",
  'Media unavailable': 'Audio et vidéo indisponibles',
  'Audio and video could not start: {error}': "L'audio et la vidéo n'ont pas pu démarrer : {error}",
  'The media connection was reset; reconnecting…':
    'La connexion audio et vidéo a été réinitialisée ; reconnexion…',
  'Screen sharing failed: {error}': "Le partage d'écran a échoué : {error}",
  'Could not switch: {error}': "Le changement n'a pas pu se faire : {error}",
  'Unmute microphone': 'Activer le micro',
  'Mute microphone': 'Couper le micro',
  'Turn camera on': 'Allumer la caméra',
  'Turn camera off': 'Couper la caméra',
  'Stop sharing': 'Arrêter le partage',
  'Share screen': "Partager l'écran",
  You: 'Vous',
  'You left the consultation': 'Vous avez quitté la consultation',
  'You can join again with the same link.': 'Vous pouvez revenir avec le même lien.',
  'End the consultation for everyone?': 'Terminer la consultation pour tout le monde ?',
  'Could not end the consultation: {error}': "La consultation n'a pas pu être terminée : {error}",
  '{role} — consultation': '{role} — consultation',
  '{role} joined.': '{role} a rejoint la consultation.',
  '{role} left.': '{role} a quitté la consultation.',
  "{role}'s screen": 'Écran : {role}',
  'The server is restarting; reconnecting…': 'Le serveur redémarre ; reconnexion…',
  'Join again': 'Revenir',
  'Camera off': 'Caméra coupée',
  'Your camera': 'Votre caméra',
  // roles
  Doctor: 'Médecin',
  Patient: 'Patient',
  Guest: 'Invité',
  Participant: 'Participant',
  // the panels
  'Write a message': 'Écrire un message',
  Message: 'Message',
  'Document to send': 'Document à envoyer',
  'Send document': 'Envoyer le document',
  'Messages and documents': 'Messages et documents',
  Send: 'Envoyer',
  'The message was not sent: {error}': "Le message n'a pas été envoyé : {error}",
  'The document was not sent: {error}': "Le document n'a pas été envoyé : {error}",
  'No medical device connected.': 'Aucun appareil médical connecté.',
  'Medical devices': 'Appareils médicaux',
  Device: 'Appareil',
  'Medical device': 'Appareil médical',
  'Reason for the consultation': 'Motif de la consultation',
  'Symptoms, since when': 'Symptômes, depuis quand',
  'Weight (kg)': 'Poids (kg)',
  'Height (cm)': 'Taille (cm)',
  'Temperature (°C)': 'Température (°C)',
  Allergies: 'Allergies',
  'Current treatments': 'Traitements en cours',
  'The form was not saved: {error}': "Le formulaire n'a pas été enregistré : {error}",
  Admit: 'Faire entrer',
  Refuse: 'Refuser',
  Messages: 'Messages',
  'Could not tell the doctor: {error}': "Le médecin n'a pas pu être prévenu : {error}",
  '{role} — consultation with {doctor}': '{role} — consultation avec {doctor}',
  'The other participants were told. You can close this page.':
    'Les autres participants ont été prévenus. Vous pouvez fermer cette page.',
  unread: 'non lus',
  'No camera': 'Pas de caméra',
  'No microphone': 'Pas de micro',
  Muted: 'Micro coupé',
  'Could not tell the others about your camera: {error}':
    "Les autres n'ont pas pu être informés de votre caméra : {error}",
  'Check your camera and microphone': 'Vérifiez votre caméra et votre micro',
  Camera: 'Caméra',
  Microphone: 'Micro',
  'Microphone level': 'Niveau du micro',
  Join: 'Rejoindre',
  'Join without camera': 'Rejoindre sans caméra',
  'Join without camera or microphone': 'Rejoindre sans caméra ni micro',
  'Join directly next time on this browser': 'Rejoindre directement la prochaine fois sur ce navigateur',
  'Before joining': 'Avant de rejoindre',
  'Your browser did not allow the camera and microphone.':
    "Votre navigateur n'a pas autorisé la caméra et le micro.",
  'No camera or microphone could be used: {error}':
    "Aucune caméra ni aucun micro n'a pu être utilisé : {error}",
  'Click the camera icon or the padlock at the left of the address bar.':
    "Cliquez sur l'icône de caméra ou le cadenas à gauche de la barre d'adresse.",
  'Allow the camera and the microphone for this site.':
    'Autorisez la caméra et le micro pour ce site.',
  'Press Try again.': 'Appuyez sur Réessayer.',
  'Try again': 'Réessayer',
  'Device {n}': 'Appareil {n}',
  'Connection: good': 'Connexion : bonne',
  'Connection: fair': 'Connexion : moyenne',
  'Connection: poor': 'Connexion : mauvaise',
  'Connection: lost': 'Connexion : perdue',
  '{role} on {device}': '{role} sur {device}',
  'waiting since {time}': 'attend depuis {time}',
  'Replace the {role} device already in': "Remplacer l'appareil {role} déjà présent",
  'Could not refuse: {error}': "Le refus n'a pas pu être envoyé : {error}",
  'The doctor did not let you in': "Le médecin ne vous a pas fait entrer",
  'You can close this page.': 'Vous pouvez fermer cette page.',
  'Continued on another device': 'Poursuivie sur un autre appareil',
  'The doctor let you in on another device: the consultation goes on there.':
    'Le médecin vous a fait entrer sur un autre appareil : la consultation continue là-bas.',
  'Waiting for {time}': 'En attente depuis {time}',
  'The doctor knows you are here and will let you in. Please keep this page open.':
    'Le médecin sait que vous êtes là et va vous faire entrer. Gardez cette page ouverte.',
  'You left the waiting room': "Vous avez quitté la salle d'attente",
  'You can open the link again to come back.': 'Vous pouvez rouvrir le lien pour revenir.',
  'Could not admit: {error}': "L'admission a échoué : {error}",
  '{browser} on {system}': '{browser} sur {system}',
  'an unknown device': 'un appareil inconnu',
  'Admitting replaces {device}, in the call since {time}':
    "L'admettre remplace {device}, dans la consultation depuis {time}",
  'Admitting replaces {device}, in the call': "L'admettre remplace {device}, dans la consultation",
  'The waiting room is full': "La salle d'attente est pleine",
  'Too many devices are waiting in this consultation. Try again in a few minutes.':
    "Trop d'appareils attendent dans cette consultation. Réessayez dans quelques minutes.",
  // the operator's page
  'Operator key': "Clé d'opérateur",
  'No consultation created: {error}': "Aucune consultation créée : {error}",
  'New consultation': 'Nouvelle consultation',
  'The operator key is printed by {command} (and kept in the data directory, file {file}).':
    "La clé d'opérateur est affichée par {command} (et gardée dans le dossier de données, fichier {file}).",
  Copy: 'Copier',
  Copied: 'Copié',
  Links: 'Liens',
  'One browser keeps one session per site: open each link in a different browser or a private window (or use 127.0.0.1 for one and localhost for the other).':
    'Un navigateur garde une session par site : ouvrez chaque lien dans un autre navigateur ou une fenêtre privée (ou utilisez 127.0.0.1 pour l\'un et localhost pour l\'autre).',
  'Loading…': 'Chargement…',
};

const DICTIONARIES = { fr: FR };

// The first of the browser's languages that the pages speak, else English.
export function pickLanguage(languages = navigator.languages || [navigator.language]) {
  for (const tag of languages) {
    const base = String(tag || '').toLowerCase().split('-')[0];
    if (base === 'en' || base in DICTIONARIES) return base;
  }
  return 'en';
}

export const LANGUAGE = pickLanguage();

export function t(text, values = {}) {
  const translated = DICTIONARIES[LANGUAGE]?.[text] ?? text;
  return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The same, with elements for some of the values: a list of strings and nodes to append.
export function tNodes(text, nodes) {
  const translated = DICTIONARIES[LANGUAGE]?.[text] ?? text;
  return translated.split(/(\{\w+\})/).filter(Boolean)
    .map((part) => nodes[part.slice(1, -1)] ?? part);
}

// For the tests: the French dictionary's keys.
export const FRENCH_KEYS = Object.keys(FR);

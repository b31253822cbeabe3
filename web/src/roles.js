// How a participant's role reads on the page.

export function roleName(role) {
  return { medecin: 'Doctor', patient: 'Patient', guest: 'Guest' }[role] || role || 'Participant';
}

// Mails one message to each of several people (a tenant's owners, its admins), as the
// activities that notify them do: an address the server refuses for good is noted and the
// others still get theirs; anything a retry may cure (the server is down) fails the activity,
// which sends again with the same Message-IDs.
import type { Mailer, MailMessage } from '../../integrations/mail/port.ts';
import { MailDeliveryError } from '../../integrations/mail/port.ts';

export interface Person {
  user_id: string;
  email: string;
}

/** Who was mailed, and who was refused for good (`address: reason`). */
export interface MailedPeople {
  recipients: string[];
  refused: string[];
}

export async function mailPeople(
  mailer: Mailer,
  people: readonly Person[],
  message: (person: Person) => MailMessage,
): Promise<MailedPeople> {
  const recipients: string[] = [];
  const refused: string[] = [];
  for (const person of people) {
    try {
      await mailer.send(message(person));
      recipients.push(person.email);
    } catch (error) {
      if (!(error instanceof MailDeliveryError) || error.retryable) throw error;
      refused.push(`${person.email}: ${error.message}`);
    }
  }
  return { recipients, refused };
}

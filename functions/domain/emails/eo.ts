import type { LocaleWording } from '../email-templates.ts';

const reply = 'Se io estas neklara, simple respondu al ĉi tiu retletero, kaj homo el nia teamo respondos al vi.';
const thanks = 'Dankon, ke vi informis nin pri la mendo {order}.';
const apology = { if: 'fault', text: '{apology}' } as const;
const refundNow =
  'Hodiaŭ ni repagas {cash} per la sama pagmaniero, kiun vi uzis por la mendo. Depende de via banko, la mono alvenos dum 5–10 labortagoj.';
const returned = { if: 'returned', text: 'Dankon, ke vi resendis la varojn: la pakaĵo jam alvenis.' } as const;
const keep = { if: 'keep', text: 'Vi ne bezonas resendi ion ajn.' } as const;

/** Esperanto. */
export const eo: LocaleWording = {
  greeting: 'Saluton, {name}!',
  signature: 'Kore,\n{shop}',
  footer: 'Via referenca numero: {claimId}. Bonvolu mencii ĝin, kiam vi skribas al ni.',
  days: { one: '# tago', other: '# tagoj' },
  datePattern: 'la {day}-a de {month} {year}',
  apologies: {
    damaged: 'Ni bedaŭras, ke via mendo alvenis difektita.',
    defective: 'Ni bedaŭras, ke la varo montriĝis misfunkcia.',
    not_as_described: 'Ni bedaŭras, ke la varo ne kongruis kun nia priskribo.',
    wrong_item: 'Ni bedaŭras, ke ni sendis al vi malĝustan varon.',
    missing_item: 'Ni bedaŭras, ke io mankis en via pakaĵo.',
    late_delivery: 'Ni bedaŭras, ke via mendo alvenis malfrue.',
    not_received: 'Ni bedaŭras, ke via mendo neniam atingis vin.',
  },
  reasons: {
    'final-sale': 'Ĉi tiuj varoj estas venditaj sen rajto de resendo, kaj niaj reguloj ne akceptas ilin reen pro tia kialo.',
    'return-window': 'La resenda periodo por ĉi tiuj varoj jam finiĝis, kiam via reklamacio atingis nin.',
    'perishable-no-return': 'Ĉi tiuj varoj rapide difektiĝas, do pro tia kialo ni ne povas akcepti ilin reen.',
    'late-delivery-no-compensation': 'Niaj reguloj ne antaŭvidas kompenson por malfrua livero.',
    'order-fully-refunded': 'La mono por ĉi tiu mendo jam estas plene repagita.',
    'goodwill-budget': 'Vi jam ricevis la plej grandan bonvolan krediton, kiun niaj reguloj permesas por ĉi tiu periodo.',
    currency: 'Ni ne povas aŭtomate pritrakti reklamacion en la valuto de ĉi tiu mendo.',
    review: 'Post zorga kontrolo nia teamo ne povis aprobi ĝin.',
    other: 'Niaj resendaj reguloj ne kovras ĉi tiun kazon.',
  },
  alternatives: {
    'alternative-contact': 'Ni tamen volas helpi: homo el nia teamo kontaktos vin por trovi alian solvon.',
    'alternative-repair':
      'Ni tamen povas helpi: la varo povas esti riparita laŭ la leĝa garantio, kaj homo el nia teamo kontaktos vin por aranĝi tion.',
    'alternative-refund': 'Anstataŭaĵo ne eblas por tia problemo, do ni anstataŭe repagas la monon.',
  },
  cells: {
    refund_without_return: {
      subject: 'Repago de {cash} por la mendo {order}',
      body: [[thanks, apology], refundNow, 'Vi ne bezonas resendi ion ajn.', { if: 'alternative', text: '{alternative}' }, reply],
    },
    return_and_refund: {
      subject: 'Kiel resendi la varojn el la mendo {order}',
      body: [
        [thanks, apology],
        [
          'Bonvolu resendi al ni: {items}. Por sendi la pakaĵon restas al vi {sendBackDays}.',
          { if: 'deadline', text: 'La lasta tago estas {deadline}.' },
        ],
        'Metu en la pakaĵon noton kun via referenca numero {claimId}, por ke ni rapide trovu vian reklamacion.',
        [
          { if: 'cash', text: 'Tuj kiam la pakaĵo alvenos, ni repagos {cash} per la sama pagmaniero, kiun vi uzis.' },
          { if: ['credit', '!cash'], text: 'Tuj kiam la pakaĵo alvenos, ni aldonos {credit} al via konto en nia vendejo.' },
          { if: ['credit', 'cash'], text: 'Ni ankaŭ aldonos {credit} al via konto en nia vendejo.' },
          { if: 'replacement', text: 'Tuj kiam la pakaĵo alvenos, ni sendos al vi anstataŭaĵon.' },
        ],
        reply,
      ],
    },
    refund_after_return: {
      subject: 'Via pakaĵo alvenis: ni repagas {cash} por la mendo {order}',
      body: [
        ['Dankon, ke vi resendis la varojn el la mendo {order}: la pakaĵo jam alvenis.', apology],
        refundNow,
        { if: 'alternative', text: '{alternative}' },
        'Vi ne bezonas fari ion plian.',
      ],
    },
    replacement: {
      subject: 'Ni sendas anstataŭaĵon por la mendo {order}',
      body: [
        [thanks, apology],
        'Ni senpage sendos al vi anstataŭaĵon: {items}. Ni sciigos vin, tuj kiam ĝi estos ekspedita.',
        returned,
        { if: 'credit', text: 'Ni ankaŭ aldonis {credit} al via konto en nia vendejo.' },
        reply,
      ],
    },
    store_credit: {
      subject: '{credit} en via vendeja konto por la mendo {order}',
      body: [
        [thanks, apology],
        [
          'Kiel vi petis, ni aldonis {credit} al via konto en nia vendejo.',
          { if: 'bonus', text: 'El tio {bonus} estas super la valoro de la varoj, kiel danko de ni.' },
        ],
        'Vi povas uzi ĝin por via sekva mendo.',
        returned,
        keep,
        reply,
      ],
    },
    goodwill: {
      subject: '{credit} de ni por la mendo {order}',
      body: [
        [thanks, apology],
        'Ni aldonis {credit} al via konto en nia vendejo kiel donacon de ni. Vi povas uzi ĝin por via sekva mendo.',
        'La mendo restas via; nenion necesas resendi.',
        reply,
      ],
    },
    apology: {
      subject: 'Pri via mendo {order}',
      body: [
        [thanks, apology],
        'Ni transdonis viajn rimarkojn al la respondeca teamo, por ke tio ne ripetiĝu.',
        'Se vi volas, ke ni faru pli, simple respondu al ĉi tiu retletero, kaj homo el nia teamo respondos al vi.',
      ],
    },
    cash_and_credit: {
      subject: 'Ni repagas {cash} kaj aldonas {credit} por la mendo {order}',
      body: [
        [thanks, apology],
        refundNow,
        ['Krome ni aldonis {credit} al via konto en nia vendejo.', { if: 'bonus', text: 'El tio {bonus} estas donaco de ni.' }],
        returned,
        keep,
        { if: 'alternative', text: '{alternative}' },
        reply,
      ],
    },
    rejection: {
      subject: 'Pri via reklamacio por la mendo {order}',
      body: [
        ['Dankon, ke vi kontaktis nin pri la mendo {order}.', apology],
        'Ni atente pririgardis vian reklamacion, sed bedaŭrinde ni ne povas akcepti ĝin. {reason}',
        '{alternative}',
        'Se vi volas pridiskuti tion, simple respondu al ĉi tiu retletero.',
      ],
    },
    more_time: {
      subject: 'Via reklamacio pri la mendo {order} bezonas iom pli da tempo',
      body: [
        ['Dankon pro via pacienco pri via reklamacio por la mendo {order}.', apology],
        'Nia teamo devas pli zorge kontroli ĝin, kaj tio daŭras pli longe ol ni atendis. Pardonu pro la atendado.',
        'Ni skribos al vi, tuj kiam ni decidos; vi ne bezonas fari ion ajn. Se intertempe vi havas demandon, simple respondu al ĉi tiu retletero.',
      ],
    },
    return_not_received: {
      subject: 'La resendo de varoj el la mendo {order}',
      body: [
        ['Dankon pro via reklamacio pri la mendo {order}.', apology],
        [
          { if: 'deadline', text: 'La resenda periodo finiĝis je {deadline}, sed via pakaĵo ne atingis nin.' },
          { if: '!deadline', text: 'La resenda periodo finiĝis, sed via pakaĵo ne atingis nin.' },
          'Tial ni nun fermis la reklamacion sen repago.',
        ],
        'Se vi jam sendis ĝin, respondu al ĉi tiu retletero kun la spurnumero, kaj homo el nia teamo tuj esploros la aferon.',
      ],
    },
  },
};

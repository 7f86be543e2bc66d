import type { LocaleWording } from '../email-templates.ts';

const reply = 'Se io estas neklara, simple respondu al ĉi tiu retletero, kaj iu el nia teamo respondos al vi.';
const thanks = 'Dankon, ke vi informis nin pri la mendo {order}.';
const apology = { if: 'fault', text: '{apology}' } as const;
const bankDays = 'Depende de via banko, la mono alvenos dum 5–10 labortagoj.';
const refundNow = `Ni repagas {cash} per la sama pagmaniero, kiun vi uzis por ĉi tiu mendo. ${bankDays}`;
/** La vendejo eldonas la krediton post la decido: ni diras, ke ni skribos, tuj kiam ĝi estos uzebla. */
const creditReady = 'Ni skribos al vi, tuj kiam la kredito estos uzebla.';
/** Thanks for goods that came back: all of them, or part while the rest is on its way. */
const returned = [
  { if: ['returned', '!awaited'], text: 'Dankon, ke vi resendis la varojn: la pakaĵo jam alvenis.' },
  { if: ['returned', 'awaited'], text: 'Dankon, ke vi resendis la varojn: parto de via resendo jam alvenis.' },
] as const;
const keep = { if: 'keep', text: 'Vi ne bezonas resendi ion ajn.' } as const;
/** Kion ni retenis de la prezo pro la stato, en kiu la varoj revenis. */
const kept = [
  {
    if: ['kept', 'changedMind'],
    text: 'Pro la stato, en kiu la varoj revenis, ni retenis {kept} de ilia prezo, kiel niaj resendaj kondiĉoj antaŭvidas por ŝanĝo de decido.',
  },
  {
    if: ['kept', '!changedMind'],
    text: 'Pro la stato, en kiu la varoj revenis, ni retenis {kept} de ilia prezo laŭ niaj resendaj kondiĉoj.',
  },
] as const;
/** La cetero de resendo, kiu ankoraŭ estas survoje. */
const awaited = [
  { if: 'awaited', text: 'La cetero ankoraŭ ne atingis nin: {awaitedItems}.' },
  {
    if: ['awaited', 'deadline'],
    text: 'Ni skribos al vi denove, kiam ĝi alvenos, aŭ plej malfrue kiam la resenda periodo finiĝos je {deadline}.',
  },
  { if: ['awaited', '!deadline'], text: 'Ni skribos al vi denove, kiam ĝi alvenos, aŭ plej malfrue kiam la resenda periodo finiĝos.' },
] as const;
/** Kredito, kiu estas parte repago kaj parte donaco: kio estas kio. */
const creditParts = [
  {
    if: ['bonus', 'refundCredit', 'bonusForCredit'],
    text: 'Tio estas {refundCredit} por viaj varoj kaj {bonus} kiel gratifiko, ĉar vi elektis krediton.',
  },
  { if: ['bonus', 'refundCredit', 'apologyCredit'], text: 'Tio estas {refundCredit} por viaj varoj kaj {bonus} de ni kiel pardonpeto.' },
  {
    if: ['bonus', 'refundCredit', '!bonusForCredit', '!apologyCredit'],
    text: 'Tio estas {refundCredit} por viaj varoj kaj krome {bonus} de ni kiel danko.',
  },
] as const;
/** Kredito, kiu tute estas donaco: por kio ĝi estas. */
const goodwillOnly = [
  { if: ['bonus', '!refundCredit', 'compensation'], text: 'Per ĝi ni volas kompensi la ĝenon.' },
  { if: ['bonus', '!refundCredit', 'apologyCredit'], text: 'Per ĝi ni petas pardonon.' },
  { if: ['bonus', '!refundCredit', '!compensation', '!apologyCredit'], text: 'Ĝi estas donaco de ni.' },
] as const;

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
    'final-sale': 'Ĉi tiuj varoj estis venditaj sen rajto de resendo, do pro la kialo, kiun vi donis, ni ne povas repreni ilin.',
    'return-window': 'La resenda periodo por ĉi tiuj varoj jam finiĝis, kiam via reklamacio atingis nin.',
    'perishable-no-return': 'Ĉi tiuj varoj rapide difektiĝas, do pro la kialo, kiun vi donis, ni ne povas repreni ilin.',
    'late-delivery-no-compensation': 'Niaj reguloj ne antaŭvidas kompenson por malfrua livero.',
    'order-fully-refunded': 'La mono por ĉi tiu mendo jam estas plene repagita.',
    'goodwill-budget': 'Vi jam ricevis la plej grandan bonvolan krediton, kiun niaj reguloj permesas por ĉi tiu periodo.',
    currency: 'Ni ne povas aŭtomate pritrakti reklamacion en la valuto de ĉi tiu mendo.',
    review: 'Post zorga kontrolo nia teamo ne povis aprobi ĝin.',
    other: 'Niaj resendaj reguloj ne kovras ĉi tiun kazon.',
  },
  alternatives: {
    'alternative-contact': 'Ni tamen volas helpi: iu el nia teamo kontaktos vin por trovi alian solvon.',
    'alternative-repair':
      'Ni tamen povas helpi: la varo povas esti riparita laŭ la leĝa garantio, kaj iu el nia teamo kontaktos vin por aranĝi tion.',
    'alternative-refund': 'Anstataŭaĵo ne eblas por tia problemo, do ni anstataŭe repagas la monon.',
  },
  deciders: {
    agent: 'iu el nia klientservo',
    supervisor: 'estro de nia klientservo',
    finance: 'nia financa fako',
  },
  note: 'Noto de la kolego, kiu pritraktis vian reklamacion: “{note}”',
  followUpBy: 'Ni kontaktos vin plej malfrue {followUpBy}.',
  statusLink: 'Vi povas sekvi vian reklamacion iam ajn ĉi tie: {statusUrl}',
  statusPage: {
    title: 'Via reklamacio pri la mendo {order}',
    labels: { status: 'Stato', next: 'Kio sekvas', reference: 'Via referenco', updated: 'Ĝisdatigita', granted: 'Koncedita' },
    stages: {
      assessing: {
        headline: 'Ni ricevis vian reklamacion kaj pritraktas ĝin.',
        next: 'Ni skribos al vi, tuj kiam ni decidos.',
        nextWithDate: 'Ni sciigos al vi nian decidon plej malfrue {date}.',
      },
      awaiting_approval: {
        headline: 'Iu el nia teamo pritraktas vian reklamacion.',
        next: 'Ni sciigos al vi la decidon, tuj kiam ĝi estos farita.',
        nextWithDate: 'Ni sciigos al vi la decidon plej malfrue {date}.',
      },
      awaiting_return: {
        headline: 'Ni atendas vian pakaĵon kun la resendataj varoj.',
        next: 'Bonvolu resendi la varojn, kiel nia retletero priskribas. Ni skribos al vi, tuj kiam la pakaĵo alvenos.',
        nextWithDate:
          'Bonvolu resendi la varojn, kiel nia retletero priskribas, por ke la pakaĵo atingu nin ĝis {date}. Ni skribos al vi, tuj kiam ĝi alvenos.',
      },
      in_progress: {
        headline: 'Via reklamacio estas aprobita, kaj ni plenumas la decidon.',
        next: 'Ni plenumas la decidon, kiel nia retletero priskribis. Vi ne bezonas fari ion ajn.',
        nextWithDate: 'Ni plenumas la decidon, kiel nia retletero priskribis. Krome iu el nia teamo kontaktos vin plej malfrue {date}.',
      },
      settled: {
        headline: 'Via reklamacio estas solvita.',
        next: 'Ĉio, kion ni promesis, estas farita, kaj vi bezonas fari nenion plu. Se io ne atingis vin, simple respondu al iu ajn el niaj retleteroj.',
        nextWithDate: 'Ĉio, kion ni promesis, estas farita. Krome iu el nia teamo kontaktos vin plej malfrue {date}.',
      },
      rejected: {
        headline: 'Bedaŭrinde ni ne povis aprobi vian reklamacion.',
        next: 'Nia retletero klarigas kial, kaj kion ni povas proponi anstataŭe. Se vi volas pridiskuti tion, simple respondu al ĝi.',
        nextWithDate: 'Kiel ni skribis, iu el nia teamo kontaktos vin plej malfrue {date}.',
      },
      closed: {
        headline: 'Ni provizore fermis vian reklamacion: la resendotaj varoj ne atingis nin ĝustatempe.',
        next: 'Se vi jam sendis la pakaĵon, respondu al nia retletero kun ĝia spurnumero, kaj iu el nia teamo kontrolos tion.',
        nextWithDate:
          'Iu el nia teamo kontaktos vin plej malfrue {date}. Se vi jam sendis la pakaĵon, respondu al nia retletero kun ĝia spurnumero.',
      },
      needs_time: {
        headline: 'La decido pri via reklamacio daŭras pli longe ol ĝi devus. Pardonu pro la atendado.',
        next: 'Ni petis iun el nia teamo persone transpreni ĝin, kaj tiu kontaktos vin.',
        nextWithDate: 'Ni petis iun el nia teamo persone transpreni ĝin, kaj tiu kontaktos vin plej malfrue {date}.',
      },
    },
    invalid: {
      title: 'Ĉi tiu ligilo ne funkcias',
      text: 'Ni ne trovis reklamacion por ĉi tiu ligilo. Bonvolu uzi la ligilon el la plej freŝa retletero pri via reklamacio, aŭ respondu al iu ajn el niaj retleteroj, kaj ni helpos.',
    },
    expired: {
      title: 'Ĉi tiu ligilo eksvalidiĝis',
      text: 'Ligiloj al reklamacio funkcias dum limigita tempo. Bonvolu uzi la ligilon el la plej freŝa retletero pri via reklamacio, aŭ respondu al iu ajn el niaj retleteroj, kaj ni helpos.',
    },
    grants: { cash: 'repago de {amount}', credit: 'vendeja kredito de {amount}', replacement: 'anstataŭaĵo' },
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
          'Bonvolu resendi al ni: {items}. Restas al vi {sendBackDays}, por ke la pakaĵo atingu nin.',
          { if: 'deadline', text: 'La lasta tago estas {deadline}.' },
        ],
        [
          { if: 'returnAddress', text: 'Bonvolu sendi la pakaĵon al:\n{returnAddress}' },
          {
            if: '!returnAddress',
            text: 'Antaŭ ol sendi ion, bonvolu respondi al ĉi tiu retletero, kaj ni diros al vi, kien sendi la pakaĵon.',
          },
        ],
        [
          { if: 'shopPaysPostage', text: 'La afrankon de ĉi tiu resendo pagas ni.' },
          { if: ['customerPaysPostage', 'changedMind'], text: 'Ĉar vi resendas la varojn pro ŝanĝo de decido, la afrankon pagas vi.' },
          { if: ['customerPaysPostage', '!changedMind'], text: 'La afrankon de ĉi tiu resendo pagas vi.' },
        ],
        'Metu en la pakaĵon noton kun via referenca numero {claimId}, por ke ni rapide trovu vian reklamacion.',
        [
          { if: 'cash', text: 'Tuj kiam la pakaĵo alvenos, ni repagos {cash} per la sama pagmaniero, kiun vi uzis.' },
          { if: ['credit', '!cash'], text: 'Tuj kiam la pakaĵo alvenos, ni eldonos por vi vendejan krediton de {credit}.' },
          { if: ['credit', 'cash'], text: 'Ni ankaŭ eldonos por vi vendejan krediton de {credit}.' },
          { if: 'replacement', text: 'Tuj kiam la pakaĵo alvenos, ni sendos al vi anstataŭaĵon.' },
          {
            if: 'conditionDeductions',
            text: 'Se varo ne revenos en nova stato, parto de ĝia prezo povas esti retenita laŭ niaj resendaj kondiĉoj.',
          },
        ],
        reply,
      ],
    },
    refund_after_return: {
      subject: 'Via pakaĵo alvenis: ni repagas {cash} por la mendo {order}',
      body: [
        [
          { if: '!awaited', text: 'Dankon, ke vi resendis la varojn el la mendo {order}: la pakaĵo jam alvenis.' },
          { if: 'awaited', text: 'Dankon, ke vi resendis la varojn el la mendo {order}: parto de via resendo jam alvenis.' },
          apology,
        ],
        [refundNow, ...kept],
        awaited,
        { if: 'alternative', text: '{alternative}' },
        { if: '!awaited', text: 'Vi ne bezonas fari ion plian.' },
      ],
    },
    replacement: {
      subject: 'Ni sendas anstataŭaĵon por la mendo {order}',
      body: [
        [thanks, apology],
        'Ni senpage sendos al vi anstataŭaĵon: {items}. Ni sciigos vin, tuj kiam ĝi estos ekspedita.',
        returned,
        [
          { if: 'credit', text: 'Ni ankaŭ eldonas por vi vendejan krediton de {credit}.' },
          ...goodwillOnly,
          { if: 'credit', text: creditReady },
        ],
        awaited,
        reply,
      ],
    },
    store_credit: {
      subject: 'Vendeja kredito de {credit} por la mendo {order}',
      body: [
        [thanks, apology],
        ['Kiel vi petis, ni eldonas por vi vendejan krediton de {credit}.', ...creditParts, ...goodwillOnly],
        kept,
        'Ni skribos al vi, tuj kiam vi povos uzi la krediton por via sekva mendo.',
        returned,
        awaited,
        keep,
        reply,
      ],
    },
    goodwill: {
      subject: '{credit} de ni por la mendo {order}',
      body: [
        [thanks, apology],
        [
          'Ni eldonas por vi vendejan krediton de {credit}.',
          ...goodwillOnly,
          'Ni skribos al vi, tuj kiam vi povos uzi la krediton por via sekva mendo.',
        ],
        'La mendo restas via; nenion necesas resendi.',
        reply,
      ],
    },
    apology: {
      subject: 'Pri via mendo {order}',
      body: [
        [thanks, apology],
        'Ni transdonis viajn rimarkojn al la respondeca teamo kaj petis ĝin pritrakti ilin; iu el nia teamo kontaktos vin pri tio.',
        'Se vi volas, ke ni faru pli, simple respondu al ĉi tiu retletero, kaj iu el nia teamo respondos al vi.',
      ],
    },
    cash_and_credit: {
      subject: 'Repago de {cash} kaj vendeja kredito de {credit} por la mendo {order}',
      body: [
        [thanks, apology],
        [refundNow, ...kept],
        ['Krome ni eldonas por vi vendejan krediton de {credit}.', ...creditParts, ...goodwillOnly, creditReady],
        returned,
        awaited,
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
      subject: 'La decido pri via reklamacio pri la mendo {order} malfruas',
      body: [
        ['Dankon pro via pacienco pri via reklamacio pri la mendo {order}.', apology],
        'Pardonu: la decido daŭras pli longe ol ĝi devus. Ni petis iun el nia teamo persone transpreni ĝin, kaj tiu kontaktos vin.',
        'Vi ne bezonas fari ion ajn. Se intertempe vi havas demandon, simple respondu al ĉi tiu retletero.',
      ],
    },
    return_not_received: {
      subject: 'La resendo de varoj el la mendo {order}',
      body: [
        ['Dankon pro via reklamacio pri la mendo {order}.', apology],
        [
          { if: ['deadline', 'missing'], text: 'La resenda periodo finiĝis je {deadline}, sed ni ne ricevis: {missingItems}.' },
          { if: ['!deadline', 'missing'], text: 'La resenda periodo finiĝis, sed ni ne ricevis: {missingItems}.' },
          {
            if: ['deadline', '!missing', '!refundedPart'],
            text: 'La resenda periodo finiĝis je {deadline}, sed via pakaĵo ne atingis nin.',
          },
          { if: ['!deadline', '!missing', '!refundedPart'], text: 'La resenda periodo finiĝis, sed via pakaĵo ne atingis nin.' },
          {
            if: ['deadline', '!missing', 'refundedPart'],
            text: 'La resenda periodo finiĝis je {deadline}, sed la cetero de via resendo ne atingis nin.',
          },
          {
            if: ['!deadline', '!missing', 'refundedPart'],
            text: 'La resenda periodo finiĝis, sed la cetero de via resendo ne atingis nin.',
          },
          { if: '!refundedPart', text: 'Tial ni provizore fermis la reklamacion sen repago.' },
          {
            if: 'refundedPart',
            text: 'Por la varoj, kiuj alvenis, ni jam repagis {refundedPart}, kiel nia antaŭa retletero diris. Por la varoj, kiuj ne alvenis, ni provizore fermis la reklamacion sen repago.',
          },
        ],
        'Se vi jam sendis la pakaĵon, respondu al ĉi tiu retletero kun ĝia spurnumero, kaj iu el nia teamo tuj esploros la aferon.',
      ],
    },
    credit_issued: {
      subject: 'Via vendeja kredito de {credit} por la mendo {order} estas preta',
      body: [
        [
          'Bona novaĵo pri la mendo {order}: via vendeja kredito de {credit} estas preta.',
          { if: 'creditCode', text: 'Via kodo estas {creditCode}. Enigu ĝin ĉe la kaso, kiam vi faros vian sekvan mendon.' },
          { if: '!creditCode', text: 'Vi povas uzi ĝin por via sekva mendo.' },
        ],
        'Dankon pro via pacienco kaj pro tio, ke vi aĉetas ĉe ni.',
        reply,
      ],
    },
    replacement_shipped: {
      subject: 'La anstataŭaĵo por la mendo {order} estas survoje',
      body: [
        ['Dankon pro via pacienco.', apology],
        [
          'Via anstataŭaĵo por la mendo {order} estas survoje: {items}.',
          { if: 'tracking', text: 'La spurinformoj de la pakaĵo: {tracking}.' },
        ],
        reply,
      ],
    },
    payout_failed: {
      subject: 'Pri via repago de {cash} por la mendo {order}',
      body: [
        'Ni provis repagi {cash} per la sama pagmaniero, kiun vi uzis por la mendo {order}, sed la pago ne sukcesis.',
        [
          'Por ke vi ne devu atendi, ni anstataŭe eldonas por vi vendejan krediton de {credit}.',
          { if: 'bonus', text: 'Tio estas {cash} kaj krome gratifiko de {bonus}.' },
          creditReady,
        ],
        {
          if: 'cashOnRequest',
          text: 'Se vi preferas ricevi la monon, simple respondu al ĉi tiu retletero, kaj ni repagos {cash} anstataŭ la kredito.',
        },
        'Pardonu pro la ĝeno. Dankon pro via pacienco.',
        { if: '!cashOnRequest', text: reply },
      ],
    },
    cash_again: {
      subject: 'Ni repagas {cash} por la mendo {order}',
      body: [
        [
          'Dankon, ke vi sciigis nin.',
          'Kiel vi petis, anstataŭ la vendeja kredito ni repagas {cash} per la sama pagmaniero, kiun vi uzis por la mendo {order}.',
          bankDays,
        ],
        { if: 'revokedCode', text: 'Tial la kreditkodo {revokedCode} ne plu validas.' },
        reply,
      ],
    },
    acknowledged: {
      subject: 'Ni ricevis vian reklamacion pri la mendo {order}',
      body: [
        ['Dankon, ke vi kontaktis nin pri la mendo {order}. Ni ricevis vian reklamacion pri jenaj varoj: {items}.', apology],
        [
          { if: 'decideBy', text: 'Nun {decider} pritraktos ĝin kaj decidos plej malfrue {decideBy}.' },
          { if: '!decideBy', text: 'Nun {decider} pritraktos ĝin kaj decidos.' },
        ],
        'Ni sciigos al vi la decidon, tuj kiam ĝi estos farita. Intertempe vi ne bezonas fari ion ajn.',
        reply,
      ],
    },
  },
};

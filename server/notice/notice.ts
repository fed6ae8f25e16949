import type { PartnerShare } from '../export/partners.ts'
import { DP_DIMENSIONS } from '../export/privacy.ts'
import { dimension } from '../vocabulary/dimensions.ts'

export interface NoticeFacts {
  site: string
  retentionMonths: number
  respectGpc: boolean
  ispLookup: boolean
  partners: Pick<PartnerShare, 'name' | 'k' | 'epsilon' | 'dimensions' | 'finest' | 'coarsest'>[]
  /** the site's counted goals, by name, and whether any counts money */
  goals?: { names: string[]; revenue: boolean }
  /** the site's counted funnels, by name */
  funnels?: string[]
  /** minutes without activity after which a visit ends (SESSION_IDLE_MINUTES) */
  visitIdleMinutes?: number
}

export type Lang = 'en' | 'lv'


const PERIOD = {
  en: { day: 'day', week: 'week', month: 'month' },
  lv: { day: 'dienu', week: 'nedēļu', month: 'mēnesi' },
}

/**
 * The paragraphs a site owner pastes into a privacy policy, written from this instance's
 * actual configuration, so the policy says what the software does.
 */
export function privacyNotice(f: NoticeFacts, lang: Lang): string {
  return (lang === 'lv' ? latvian(f) : english(f)).join('\n\n') + '\n'
}

/** The dimensions a partner actually receives: with ε, only those differential privacy covers. */
const shared = (p: NoticeFacts['partners'][number]) => (p.epsilon ? p.dimensions.filter((d) => DP_DIMENSIONS[d]) : p.dimensions)

function english(f: NoticeFacts): string[] {
  const isp = f.ispLookup ? ', and the domain name of your internet service provider' : ''
  const out = [
    `${f.site} counts its visits with Skaits, a web analytics tool that keeps only anonymous, aggregated statistics. ` +
      `We count the pages and sections viewed, visits and visitors per day, the time spent on pages and on the site, ` +
      `how far pages are scrolled, which website or campaign brought you here (its domain name only), ` +
      `your browser, operating system and type of device, your country${isp}. ` +
      `Each of these is kept only as a separate count, for example "40 visitors used Firefox"; ` +
      `no record of an individual visit or visitor is kept, and counts are never combined with each other.`,
    `Counts by the hour are kept only for the day under way; once a day is over, each of these counts is kept for the whole day, ` +
      `and only the site's total number of visits keeps its hours. For links you click to other websites and files you download, ` +
      `only the address without its query string or fragment is counted. ` +
      `People the owner of ${f.site} shares the statistics with through a link or a public key never see a value counted for fewer than ` +
      `5 visitors (or the higher number set for that link) in a period, nor any breakdown of a period with fewer visitors, ` +
      `and see the day under way only in whole hours; only the owner sees the exact counts.`,
    `No cookies are used, nothing is stored on your device, and no fingerprinting is done. ` +
      `Your IP address is used only in memory while your browser's request is processed: to tell visitors apart for one day ` +
      `by a keyed hash with a random key that changes every day and is destroyed within 48 hours, ` +
      `to find your country` +
      (f.ispLookup
        ? `, and to find your provider's domain by a reverse DNS lookup of your network, remembered only per network (never per address). ` +
          `That lookup sends only your network's prefix (the first three parts of an IPv4 address, the first three groups of an IPv6 one), never your address, ` +
          `to the DNS servers, which learn that someone from that network visited`
        : '') +
      `. The IP address is never stored or logged, and we cannot link the statistics to a person.`,
    ...englishGoals(f),
    `The counts are kept for ${f.retentionMonths} months and then deleted.` +
      (f.respectGpc ? ' If your browser sends the Global Privacy Control signal, your visit is not counted at all.' : '') +
      ' Where this website asks for your consent to statistics, nothing is sent before you give it.',
  ]
  if (!f.partners.length) {
    out.push('These statistics are not shared with other companies.')
  } else {
    for (const p of f.partners) {
      const what = shared(p).map((d) => dimension(d)?.plural.en ?? d).join(', ')
      out.push(
        `We share anonymous statistics with ${p.name}: ${p.epsilon ? 'visitor numbers only, ' : ''}totals${what ? ` and ${what}` : ''}, per ${PERIOD.en[p.finest]}` +
          (p.coarsest !== p.finest ? ` or ${PERIOD.en[p.coarsest]}` : '') +
          (p.epsilon
            ? `. Random noise is added to every number, so that all the numbers they receive together reveal at most ` +
              `a limited amount about any one visitor on any one day (differential privacy, ε = ${p.epsilon} per download, ` +
              `for each visitor and day, counting every number that visitor is part of; each period is released once). ` +
              `Numbers that then show fewer than ${p.k} visitors are withheld, together with enough others that they cannot be ` +
              `worked out from totals; because of the noise, a number they receive shows at least ${p.k} but may stand for ` +
              `fewer different visitors. Numbers of visits and page views are not shared with them`
            : `. Every number they receive counts at least ${p.k} different visitors; smaller numbers are withheld, ` +
              `together with enough others that they cannot be worked out from totals`) +
          '. They receive no data about individual visitors.',
      )
    }
  }
  return out
}

/** Goals: what is counted of them (docs/design.md, "Goals"): counts by one dimension at a time, no event kept. */
function englishGoals(f: NoticeFacts): string[] {
  const funnels = f.funnels?.length
    ? [
        `It has also set funnels (${f.funnels.join(', ')}): series of pages or actions. For each step we count how many visits and visitors ` +
          `reached it in order and how long it took them on average, in total and by one of the things listed above at a time. ` +
          `Which steps a visit reached is remembered only in memory while the visit lasts; no path through the site is kept.`,
      ]
    : []
  if (!f.goals?.names.length) return funnels.map((p) => p.replace('It has also set', `The owner of ${f.site} has set`))
  return [
    `The owner of ${f.site} has set goals (${f.goals.names.join(', ')}). For each goal we count how many visits and visitors reached it ` +
      `and how many times it was reached${f.goals.revenue ? ', and the total amount of money of purchases' : ''}, ` +
      `in total and by each of the things listed above separately, for example "12 visitors from Google signed up" — never by two together. ` +
      `No record of which visit or visitor reached a goal is kept: a visit is remembered only in memory while it lasts ` +
      `(until ${f.visitIdleMinutes ?? 30} minutes without activity), and only its counts remain.`,
    ...funnels,
  ]
}

function latvianGoals(f: NoticeFacts): string[] {
  const funnels = f.funnels?.length
    ? [
        `Ir noteiktas arī piltuves (${f.funnels.join(', ')}): lapu vai darbību secības. Katram solim mēs uzskaitām, cik apmeklējumu un ` +
          `apmeklētāju to sasniedza secībā un cik ilgā laikā vidēji, kopā un pēc viena no iepriekš minētajiem vienlaikus. ` +
          `Kurus soļus apmeklējums sasniedza, tiek atcerēts tikai atmiņā, kamēr apmeklējums ilgst; ceļš pa vietni netiek glabāts.`,
      ]
    : []
  if (!f.goals?.names.length) return funnels.map((p) => p.replace('Ir noteiktas arī piltuves', `${f.site} īpašnieks ir noteicis piltuves`))
  return [
    `${f.site} īpašnieks ir noteicis mērķus (${f.goals.names.join(', ')}). Katram mērķim mēs uzskaitām, cik apmeklējumos un cik apmeklētāju ` +
      `to sasniedza un cik reižu tas sasniegts${f.goals.revenue ? ', kā arī pirkumu kopējo naudas summu' : ''}, ` +
      `kopā un atsevišķi pēc katra no iepriekš minētajiem, piemēram, „12 apmeklētāji no Google reģistrējās” — nekad pēc diviem kopā. ` +
      `Ieraksts par to, kurš apmeklējums vai apmeklētājs mērķi sasniedza, netiek glabāts: apmeklējums tiek atcerēts tikai atmiņā, kamēr tas ilgst ` +
      `(līdz ${f.visitIdleMinutes ?? 30} minūtēm bez darbībām), un paliek tikai tā skaitļi.`,
    ...funnels,
  ]
}

function latvian(f: NoticeFacts): string[] {
  const isp = f.ispLookup ? ' un jūsu interneta pakalpojumu sniedzēja domēna vārdu' : ''
  const out = [
    `${f.site} apmeklējumu statistiku uzskaita ar Skaits — tīmekļa analītikas rīku, kas glabā tikai anonīmu, apkopotu statistiku. ` +
      `Mēs uzskaitām aplūkotās lapas un sadaļas, apmeklējumus un apmeklētājus dienā, lapās un vietnē pavadīto laiku, ` +
      `cik tālu lapas ritinātas, kura vietne vai kampaņa jūs atveda (tikai tās domēna vārdu), ` +
      `jūsu pārlūku, operētājsistēmu un ierīces veidu, valsti${isp}. ` +
      `Katrs no tiem tiek glabāts tikai kā atsevišķs skaitlis, piemēram, „40 apmeklētāji izmantoja Firefox”; ` +
      `ieraksti par atsevišķiem apmeklējumiem vai apmeklētājiem netiek glabāti, un skaitļi savā starpā netiek apvienoti.`,
    `Skaitļi pa stundām tiek glabāti tikai par tekošo dienu; kad diena beigusies, katrs no šiem skaitļiem tiek glabāts par visu dienu, ` +
      `un stundas saglabā tikai vietnes kopējais apmeklējumu skaits. Saitēm uz citām vietnēm un lejupielādētajiem failiem tiek uzskaitīta ` +
      `tikai adrese bez vaicājuma virknes un fragmenta. ` +
      `Personas, ar kurām ${f.site} īpašnieks dalās ar statistiku, izmantojot saiti vai publisku atslēgu, nekad neredz vērtību, ko periodā ` +
      `uzskaitījuši mazāk nekā 5 apmeklētāji (vai saitei iestatītais lielākais skaits), ne arī sadalījumu periodam ar mazāk apmeklētājiem, ` +
      `un tekošo dienu redz tikai pa veselām stundām; precīzos skaitļus redz tikai īpašnieks.`,
    `Netiek izmantotas sīkdatnes, jūsu ierīcē nekas netiek saglabāts, un netiek veikta ierīču atpazīšana pēc to īpašībām (fingerprinting). ` +
      `Jūsu IP adrese tiek izmantota tikai atmiņā, kamēr tiek apstrādāts jūsu pārlūka pieprasījums: lai vienas dienas ietvaros atšķirtu ` +
      `apmeklētājus ar atslēgotu jaucējvērtību (hash), kuras nejaušā atslēga mainās katru dienu un tiek iznīcināta 48 stundu laikā, ` +
      `lai noteiktu jūsu valsti` +
      (f.ispLookup
        ? ` un lai ar reverso DNS vaicājumu par jūsu tīklu noteiktu jūsu pakalpojumu sniedzēja domēnu, ko atceramies tikai tīkla līmenī (nekad ne konkrētai adresei). ` +
          `Šis vaicājums DNS serveriem nosūta tikai jūsu tīkla prefiksu (IPv4 adreses pirmās trīs daļas, IPv6 adreses pirmās trīs grupas), nekad ne jūsu adresi, ` +
          `un tie uzzina, ka kāds no šī tīkla ir apmeklējis vietni`
        : '') +
      `. IP adrese netiek ne saglabāta, ne ierakstīta žurnālos, un mēs nevaram statistiku saistīt ar konkrētu personu.`,
    ...latvianGoals(f),
    `Statistika tiek glabāta ${f.retentionMonths} mēnešus un pēc tam dzēsta.` +
      (f.respectGpc ? ' Ja jūsu pārlūks sūta signālu Global Privacy Control, jūsu apmeklējums netiek uzskaitīts vispār.' : '') +
      ' Ja šī vietne lūdz jūsu piekrišanu statistikai, pirms piekrišanas nekas netiek nosūtīts.',
  ]
  if (!f.partners.length) {
    out.push('Šī statistika netiek nodota citiem uzņēmumiem.')
  } else {
    for (const p of f.partners) {
      const what = shared(p).map((d) => dimension(d)?.plural.lv ?? d).join(', ')
      out.push(
        `Mēs nododam anonīmu statistiku uzņēmumam ${p.name}: ${p.epsilon ? 'apmeklētāju skaitu — ' : ''}kopsummas${what ? ` un ${what}` : ''}, par katru ${PERIOD.lv[p.finest]}` +
          (p.coarsest !== p.finest ? ` vai ${PERIOD.lv[p.coarsest]}` : '') +
          (p.epsilon
            ? `. Katram skaitlim tiek pievienots nejaušs troksnis, lai visi saņemtie skaitļi kopā par jebkuru vienu ` +
              `apmeklētāju vienā dienā atklātu tikai ierobežotu informāciju (diferenciālais privātums, ε = ${p.epsilon} vienai ` +
              `lejupielādei katram apmeklētājam un dienai, ieskaitot visus skaitļus, kuros šis apmeklētājs ir ietverts; katrs ` +
              `periods tiek nodots vienu reizi). Skaitļi, kas pēc tam rāda mazāk nekā ${p.k} apmeklētājus, netiek nodoti, un ` +
              `kopā ar tiem tiek slēpti arī citi, lai tos nevarētu aprēķināt no kopsummām; trokšņa dēļ saņemtais skaitlis rāda ` +
              `vismaz ${p.k}, bet var aptvert mazāk dažādu apmeklētāju. Apmeklējumu un lapu skatījumu skaits viņiem netiek nodots`
            : `. Katrs saņemtais skaitlis aptver vismaz ${p.k} dažādus apmeklētājus; mazāki skaitļi netiek nodoti, ` +
              `un kopā ar tiem tiek slēpti arī citi, lai tos nevarētu aprēķināt no kopsummām`) +
          '. Dati par atsevišķiem apmeklētājiem netiek nodoti.',
      )
    }
  }
  return out
}

"""The privacy guard's corpus: personal data per category, bare and in Dutch sentences,
and text that must pass. Generated with Faker's nl_NL locale and python-stdnum (seeded, so
the same every run) plus hand-written hard cases. Used by the privacy tests (this folder is
on sys.path through its conftest) and by ``python -m bench privacy_guard``.
"""

from __future__ import annotations

import functools
import random

from faker import Faker
from stdnum import iban as iban_check
from stdnum.nl import bsn as bsn_check

SENTENCES = (
    "Volgens de melding was {} erbij betrokken.",
    "Graag contact opnemen via {} voor meer informatie.",
    "In het verslag van de wijkagent staat {} genoemd.",
    "{} staat in het overzicht van vorige week.",
    "Let op: {}, zie dossier.",
    "De jongerenwerker noteerde {} na het gesprek.",
)

HAND_WRITTEN: dict[str, list[str]] = {
    "name": [
        "Sanne de Vries", "Jan-Willem van der Berg", "J. de Vries", "J.P. van den Heuvel",
        "dhr. Bakker", "mevr. Yilmaz", "Mevrouw El Amrani", "de heer Van Dijk",
        "Ik sprak gisteren met Kees over de overlast.", "Daarna belde Fatima de wijkagent.",
        "Buurman Xandro klaagt al weken over lawaai.",
        "De melder, genaamd Tjeerd, wil anoniem blijven.",
        "jan jansen", "sanne de vries", "Melding van pieter bakker over de hangjongeren.",
        "Het gaat om Mohammed Boukhari uit de Kerkstraat.", "Contactpersoon: Ingrid Hoekstra",
        "Gesprek gevoerd met mw. Ozturk en haar zoon Emre.", "Ayoub Ouali", "Kevin Janssen",
        "Priya Ramdin", "Sem Vermeulen", "Lotte Kuipers", "Daan van Leeuwen",
        "Deelnemer Wolter Kooistra meldde zich af.", "Verdachte Dewi Sastrowardojo is gehoord.",
        "De organisator heet Ruben.", "Dochter Noor was niet thuis.", "A. Aydin",
        "Door dr. Hermans is een verklaring afgelegd.", "Mohammed", "Ahmed Yilmaz",
    ],
    "email": [
        "jan.jansen@example.nl", "mailto:info.pietersen@hotmail.com", "naam [at] domein [dot] nl",
        "k.devries (at) gmail (dot) com", "Mail s.bakker@gemeente-breda.nl voor het rooster.",
        "Stuur het naar fleur.visser [at] ziggo [dot] nl graag.", "JOOST.MEIJER@KPNMAIL.NL",
        "contact: r.dekker@outlook.com", "tim_85@live.nl", "lisa apenstaartje gmail punt com",
    ],
    "phone": [
        "06-12345678", "+31 6 12345678", "0031 6 1234 5678", "+31 (0)6 12345678",
        "010-1234567", "(076) 523 45 67", "0612345678", "06 12 34 56 78",
        "Bel mij op 06-87654321 als er iets is.", "Het nummer van de melder is 020 - 555 12 34.",
        "+32 470 12 34 56", "+44 20 7946 0958", "tel: 0031 (0)76 5234567", "+49 30 123456789",
    ],
    "bsn": [
        "111222333", "123.456.782", "123 456 782", "BSN 111.222.333 staat in het dossier.",
        "Zijn burgerservicenummer is 123456782.", "bsn: 111 222 333",
    ],
    "iban": [
        "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "nl91abna0417164300",
        "nl91 abna 0417 1643 00", "Het geld ging naar NL91 ABNA 0417 1643 00 vorige week.",
        "BE68539007547034", "DE89 3704 0044 0532 0130 00",
    ],
    "social": [
        "@jansen_r", "instagram.com/sanne.devries", "https://www.tiktok.com/@dj_breda076",
        "x.com/kevin_010", "twitter.com/breda_boy", "facebook.com/pieter.bakker.9",
        "snapchat.com/add/lotje2005", "snap: lotje2005", "insta: jaylano.99",
        "Hij postte de oproep via @bredaboys076 op TikTok.", "Zie https://instagram.com/r.dekker",
        "Sc: mila_xo", "Volg hem op TikTok: @kev.076",
    ],
    "plate": [
        "AB-12-CD", "12-ABC-3", "1-ABC-23", "XX-999-X", "G-123-BB", "ab-12-cd", "ab12cd",
        "12abc3", "GHJK12", "99-XX-99", "Auto met kenteken 12-ABC-3 stond fout geparkeerd.",
        "Scooter vd-123-b reed door rood.", "kenteken 7KUM77", "De bus (KB 123 T) stond er.",
    ],
    "postcode": [
        "3011 AB 12", "3011AB 12", "3011ab12", "3011 ab 12", "3011 AB 12-a", "3011 AB 12 bis",
        "4811XJ-7", "Woont op 4811 XJ 7.", "postcode 4811 xj, huisnummer 7",
        "Adres: Kerkstraat 12, 4811 XJ Breda", "4811XJ",
    ],
    "ip": [
        "192.168.1.10", "83.162.10.5", "2001:db8::1", "fe80::1ff:fe23:4567:890a",
        "Het IP-adres 84.241.200.3 logde in.", "De server op 2a02:a440:1::5 reageerde niet.",
    ],
    "birth_date": [
        "geboren 12-03-1985", "geb. 12-3-1985", "geboortedatum: 1985-03-12", "DOB 12/03/1985",
        "Geboren op 12 maart 1985 in Breda.", "De jongen (geb. 04-07-2008) werd aangehouden.",
        "12-03-1985 (39 jaar)", "39 jaar, 12-03-1985", "date of birth 1990-01-31",
        "Hij is geboren in 2008.", "* 14-02-1999",
    ],
}  # fmt: skip

MORE_HARD_CASES: dict[str, list[str]] = {
    "name": [
        "Mw. J. Bakker-de Groot",
        "Piet Hein de Wit",
        "Gerrit-Jan Hofstede",
        "Familie Yilmaz",
        "de familie De Jong",
        "Mr. drs. A.B. van Oranje",
        "Ik heb met Anouk gebeld.",
        "Gisteren kwam Lars langs bij het buurthuis.",
        "Femke zei dat ze bang was.",
        "Volgens Bram is het rustig.",
        "Het meisje, Demi, was 14.",
        "Meneer de Boer belde opnieuw.",
        "mevrouw van der Linden",
        "Jeroen van der Meer (wijkagent)",
        "Mohamed Amrani",
        "Kaoutar Benali",
        "Melding door T. Visser",
        "Wijkagent Henk Smit",
        "zoon Jayden",
        "ingrid de boer",
        "willem de jong belde",
        "Thijs Veenstra en Noa Brouwer",
        "Samira El Idrissi",
        "Jasper",
        "Aangifte gedaan door Bas Mulder.",
        "Zijn naam is Dylan.",
        "De dader heet Ricardo Silva.",
        "Cor",
        "Richard Krajicek",
        "Priscilla Zeegers-van Dam",
        "met Ruud en Truus gesproken",
        "F. El Khatib",
        "Prof. dr. H. Jansen",
        "De heer Ç. Öztürk",
        "Sven Kramer",
        "Tim de Graaf (16) uit Breda",
        "De jongen (Yassine) werd aangesproken.",
    ],
    "email": [
        "info(at)jansen.nl",
        "j.jansen AT gmail DOT com",
        "piet@hotmail",
        "mail: p.devries@live.nl",
        '<a href="mailto:k@l.nl">mail</a>',
        "j dot jansen at gmail dot com",
        "jan.jansen[at]ziggo.nl",
        "Neem contact op via sanne.b@icloud.com.",
        "p_de_vries@gemeente.tilburg.nl",
    ],
    "phone": [
        "06-1234 5678",
        "06 123 456 78",
        "+316 12345678",
        "0031-6-12345678",
        "(06) 12345678",
        "076 - 5 123 456",
        "+31 76 5123456",
        "Whatsapp 0612345678",
        "tel.nr. 013-4567890",
        "0031 (0)20 1234567",
        "Bel +32 470 12 34 56",
        "06.12.34.56.78",
        "+31.6.12345678",
        "mobiel: 06‑12345678",
    ],
    "bsn": [
        "BSN: 123456782",
        "bsn 1234.56.782",
        "burgerservicenummer 111 22 2333",
        "Zijn BSN is 111222333, geboren in Breda.",
    ],
    "iban": [
        "IBAN NL91ABNA0417164300",
        "Rekeningnummer: NL91 ABNA 0417 1643 00",
        "nl91abna0417164300 t.n.v. de stichting",
        "NL91-ABNA-0417-1643-00",
        "GB29 NWBK 6016 1331 9268 19",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
    "social": [
        "instagram: @sannedv",
        "TikTok @bredaboy",
        "tiktok.com/@bredaboy",
        "https://x.com/sanne_dv",
        "https://www.facebook.com/sanne.devries.5",
        "fb.com/sanne.devries",
        "snap: sannedv",
        "Snapchat: sannedv03",
        "insta sannedv",
        "Zijn snap is lotje2005",
        "@sanne.dv",
        "twitter: @bredaboy",
        "youtube.com/@bredavlogs",
        "https://t.me/bredaboys",
    ],
    "plate": [
        "12-ABC-3",
        "12abc3",
        "1abc23",
        "ABC-12-D",
        "abc12d",
        "G-123-BB",
        "g123bb",
        "XB-123-G",
        "Zwarte Golf met kenteken 99-XX-99",
        "kenteken: TZ-123-B",
        "GV-08-LP",
        "t-123-bb",
        "Auto (kenteken vr-45-jk) reed weg.",
    ],
    "postcode": [
        "3011AB12",
        "3011 AB, 12",
        "3011 ab, nr 12",
        "Postcode: 3011 AB, huisnummer: 12",
        "Kerkstraat 12, 3011AB",
        "3011AB 12-II",
        "3011 AB 12 hs",
        "3011 AB 12A",
        "1012 JS 1-3",
        "woont op 5611AB 3b",
    ],
    "ip": [
        "10.0.0.1",
        "IP: 192.168.0.254",
        "::1",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "het ip 8.8.8.8 werd gebruikt",
        "Login vanaf 2a02:a45d:1a2::1f",
    ],
    "birth_date": [
        "geb. 1-1-2001",
        "Geboortedatum 01-01-2001",
        "DOB: 2001-01-01",
        "geboren op 3 januari 2001",
        "Jongen, 16 jaar, geb. 12-05-2008",
        "(geb. 12 mei 2008)",
        "Geboren: 12/05/2008",
        "born 12-05-2008",
        "°12-05-2008",
        "geboren 12.05.2008",
        "d.o.b. 12-05-2008",
        "16 jaar (12-05-2008)",
    ],
}
"""A second set of hard cases, written after the first round of measurement."""

MORE_MUST_PASS = [
    "De gemeente Breda en de gemeente Tilburg werken samen.",
    "Wijk Noord telde 45 incidenten in week 12.",
    "Het Koning Willem I College in Den Bosch",
    "Park Valkenberg",
    "Sint Jansbasiliek",
    "Sint Maarten",
    "De Grote Markt in Breda",
    "Overleg met de wijkagent en de jongerenwerker.",
    "Het sjabloon is gemaakt door de VNG.",
    "Gemeente 's-Hertogenbosch",
    "Burgemeester en wethouders",
    "Het college van B&W besloot tot een gebiedsverbod.",
    "Jeugdboa's zijn op vrijdag actief.",
    "Op 5 mei 2024 (Bevrijdingsdag) was het druk.",
    "Na 22:00 uur geldt een samenscholingsverbod.",
    "De APV artikel 2:1 is van toepassing.",
    "Zaaknummer Z/24/123456",
    "Meldingen via 14 076.",
    "Bel 0800-1234567 (gratis).",
    "Kosten: € 1.234,56",
    "Bezoekers: 12.500",
    "Evaluatie 2025-Q1",
    "Versie 1.2.3",
    "Team Ondermijning",
    "Regionaal Informatie en Expertise Centrum (RIEC)",
    "Het Openbaar Ministerie",
    "Halt-afdoening",
    "De Efteling",
    "Stadion Galgenwaard",
    "Philips Stadion",
    "Abe Lenstra Stadion",
    "Johan Cruijff ArenA",
    "Prinses Beatrixlaan",
    "Willem de Zwijgerlaan",
    "Jan Pieterszoon Coenstraat",
    "Karel Doormanstraat",
    "Anne Frankplein",
    "Wilhelminapark",
    "Julianaplein",
    "Mgr. Nolensplein",
    "Burgemeester Kessensplein",
    "Pastoor van Arskerk",
    "Van Goghmuseum",
    "Rembrandtplein",
    "Kaap Hoorndreef",
    "Vincent van Goghstraat 3",
    "Het Van Gogh Museum",
    "Erasmus MC",
    "Stichting Jan Pieter Heije",
    "Maria-ziekenhuis",
    "Sint-Elisabeth Ziekenhuis",
    "De Hoge Veluwe",
    "Veilig Thuis West-Brabant",
    "Zorg- en Veiligheidshuis",
    "Politie Eenheid Zeeland-West-Brabant",
    "2024 t/m 2026",
    "week 52",
    "Q3",
    "12 maart 2024",
    "12-03-2024",
    "2024-03-12",
    "ma 12-03",
    "Om 21.30 uur",
    "Het aantal meldingen steeg met 12,5%.",
    "€ 10.000.000.000",
    "5.000 deelnemers",
    "GM0363 en GM0599",
    "WK036305",
    "BU03630001",
    "Bij 18+ evenementen",
    "18-jarigen",
    "Jongeren tussen 12 en 18 jaar",
    "Sinds 2019 (5 jaar)",
    "In 1985 opgericht",
    "Geboortecijfer 2023",
    "Geboren en getogen Bredanaars",
    "Leeftijd 12-17",
    "Artikel 172 lid 3",
    "0,75 per 1.000 inwoners",
    "Hotspot: Stationsplein",
    "De Grote Kerk",
    "Hollandsch Diep",
    "Markt 1",
    "Oranjeboomstraat",
    "Ginnekenweg",
    "Haagweg",
    "Breda-Noord",
    "Hoge Vucht",
    "Tuinzigt",
    "Princenhage",
    "Kesselerhof",
    "Heuvelkwartier",
    "Wethouder Veiligheid",
    "De burgemeester van Tilburg",
    "Namens de burgemeester",
    "Lid van de gemeenteraad",
    "In samenwerking met Halt en Bureau Jeugdzorg",
    "Het Rode Kruis",
    "Koningsdag",
    "Oud en Nieuw",
    "Sinterklaasintocht",
    "Carnaval",
    "Ramadan",
    "Suikerfeest",
    "Het incident bij de Albert Heijn",
    "De Jumbo aan de Kerkstraat",
    "Kruidvat",
    "Bijenkorf",
    "McDonald's",
    "De HEMA",
    "Van der Valk hotel",
    "Jan Linders supermarkt",
    "Bakkerij De Vries",
    "Café De Kroon",
    "Restaurant Jansen",
    "Snackbar Mario",
    "Het plan van aanpak van mei 2024",
    "Nieuwsbrief juni",
    "De Roos en De Linde (scholen)",
    "Operatie Jan",
    "Project Sterk Noord",
    "De Kempen",
    "Sportpark Hoge Vucht",
    "Zwembad De Wervel",
    "Bibliotheek Nieuwe Veste",
    "Theater Chassé",
    "Chassé Theater",
    "Mezz",
]

THIRD_HARD_CASES: dict[str, list[str]] = {
    "name": [
        "Linda Koster",
        "Erik-Jan de Haan",
        "E.J. de Haan",
        "Fam. Pinas",
        "mevr. A. Kartosen-Wong",
        "Dhr. R.J.M. Verhoeven",
        "Bij Stefan thuis was het onrustig.",
        "Marieke en haar broer Tom liepen weg.",
        "Ik heb de casus met Youssef El Bakkali besproken.",
        "Aanwezig: Hans Dekker, Ria Verbeek, Saskia Mol.",
        "hanneke van dijk",
        "door r. de jong gemeld",
        "Gemeld door buurvrouw mevrouw Kok.",
        "Het slachtoffer, Lisa M., is 15.",
        "Mijn naam is Bart Willemsen",
        "namens Joyce Hendriks",
        "Emma",
        "Noah",
        "Sophie de Wit (jeugdwerker)",
        "Sjaak",
        "Hamza",
        "Yusuf Demir",
        "Anna-Lena Schmidt",
        "Oleksandr Kovalenko",
        "Nguyen Van Anh",
        "Wouter Bos",
        "Anja Boer",
        "Rik Hol",
        "De jongen genaamd Milan",
        "Rapper Lil Kleine",
        "bewoner J. Smits",
        "Contact: Mark de Bruijn",
        "Daar stond Jesse met zijn vrienden.",
        "vriendin Fenna",
        "Luuk en Sem hebben vuurwerk afgestoken.",
    ],
    "email": [
        "m.jansen@gmail.com",
        "Mailadres: info@familiejansen.nl",
        "MAILTO:PIET@KPN.NL",
        "piet punt jansen at gmail punt com",
        "jansen{at}xs4all{dot}nl",
        "e-mail s_devries@yahoo.com",
        "sanne.devries@outlook.com.",
    ],
    "phone": [
        "0651234567",
        "06 51 23 45 67",
        "06-51 23 45 67",
        "Telefoon: 030-2345678",
        "bel 0031651234567",
        "+31-6-51234567",
        "+31 (0) 6 5123 4567",
        "(030) 234 56 78",
        "Tel. 0765 123456",
        "+33 6 12 34 56 78",
        "+90 532 123 45 67",
        "0049 171 1234567",
    ],
    "bsn": [
        "BSN 123456782",
        "123 45 67 82",
        "Burgerservicenummer: 111.222.333",
        "sofinummer 123456782",
        "BSN-nummer 1112.22.333",
    ],
    "iban": [
        "NL44RABO0123456789",
        "NL44 RABO 0123 4567 89",
        "rekening nl44rabo0123456789",
        "IBAN: NL44 RABO 0123 4567 89 t.n.v. J. Jansen",
        "NL20INGB0001234567",
    ],
    "social": [
        "@Sanne_DV",
        "instagram.com/bredaboys076/",
        "www.tiktok.com/@sanne.dv",
        "http://twitter.com/jan_jansen",
        "https://www.instagram.com/p/abc",
        "IG: sanne.dv",
        "Snapchat: sanne-dv",
        "TikTok: sannedv03",
        "op insta als @sannedv",
        "zijn insta is sanne.dv2",
    ],
    "plate": [
        "NL-kenteken 45-TBX-8",
        "45tbx8",
        "45-tbx-8",
        "1-KBB-12",
        "1kbb12",
        "S-111-BB",
        "J-001-AB",
        "HL-456-T",
        "hl456t",
        "Kenteken: 34-GS-LB",
        "Een witte bus met kenteken VGX-12-B.",
        "32-LLZ-8",
    ],
    "postcode": [
        "2511 CV 12",
        "2511cv12",
        "2511 CV, 12a",
        "Postcode en huisnummer: 2511CV 12",
        "Spui 70, 2511 BT Den Haag",
        "2511 bt 70",
        "Op 2511BT-70 woont de melder.",
        "Adres: 2511 BT 70 III",
        "nr. 70, 2511 BT",
    ],
    "ip": [
        "172.16.254.1",
        "IP-adres: 10.10.10.10",
        "2001:db8:0:1::42",
        "fd00::abcd",
        "vanaf 145.97.10.2 gepost",
    ],
    "birth_date": [
        "geboren 03-11-2007",
        "Geb.datum: 03-11-2007",
        "geboortedatum 3 november 2007",
        "Hij (geboren 3-11-2007) is bekend.",
        "DOB: 03/11/2007",
        "Date of birth: 2007-11-03",
        "geb 03-11-2007",
        "03-11-2007 (16 jr)",
        "geboren op 03.11.2007",
        "17 jaar oud, geboren 3 nov 2007",
    ],
}
"""A third set, written after the second round."""

THIRD_MUST_PASS = [
    "Van Ness wijk",
    "Jan van Galenstraat",
    "Wijkteam Fellenoord",
    "Stationsplein 1",
    "Buurthuis De Pijp",
    "Sporthal De Geer",
    "Het Chassé Park",
    "Stadswinkel",
    "De Jonge Akademie",
    "Meester de Klerkschool",
    "Pieter Bruegelpark",
    "Vincent van Goghlaan",
    "Kees Boekestraat",
    "Prins Bernhardstraat",
    "Koningin Wilhelminalaan",
    "Sint Annastraat",
    "Emmaplein",
    "Julianapark",
    "Mr. Dr. Fritz Philipslaan",
    "Joke Smitplein",
    "De wethouder heeft het plan goedgekeurd.",
    "Uit de analyse blijkt een stijging van 15%.",
    "De meldingen kwamen vooral uit wijk Noord.",
    "Bij het evenement waren 3.500 bezoekers.",
    "Voortgangsrapportage 2024",
    "In Q2 daalde het aantal incidenten.",
    "Het aantal meldingen in 2023 was 1.234.567.",
    "Budget 2025: € 450.000",
    "artikel 151b Gemeentewet",
    "Wet Bibob",
    "Opiumwet artikel 13b",
    "Jeugdwet",
    "AVG en Wpg",
    "DPIA uitgevoerd op 15-03-2024",
    "Startdatum pilot: 1 januari 2025",
    "Geboorte- en sterftecijfers",
    "Voor jongeren van 12 tot 23 jaar",
    "Leeftijdsgroep 18-24",
    "Groep 8 van de basisschool",
    "Uitgevoerd door team Handhaving",
    "De GGD en Veilig Thuis",
    "Politie Eenheid Den Haag",
    "Brandweer Midden- en West-Brabant",
    "Rapportage aan de raad op 12 november",
    "Evaluatie in week 47",
    "Versie 3.0 (2024-11-01)",
    "ISO 27001",
    "NEN 7510",
    "BIO-norm",
    "Het telefoonnummer van de gemeente is 14 076.",
    "Kantoor aan de Claudius Prinsenlaan",
    "Het Noorderpark",
    "Ajax - Feyenoord",
    "NAC Breda",
    "Willem II",
    "PSV",
    "FC Den Bosch",
    "Johan Cruijff Arena",
    "AFAS Stadion",
    "Abe Lenstra",
    "De Kuip",
    "Philips Stadion Eindhoven",
    "Koning Willem-Alexander",
    "Prinses Amalia",
    "Sinterklaas",
    "Zwarte Piet-discussie",
    "Kerstmarkt 2024",
    "Pride Amsterdam",
    "Dam tot Damloop",
    "Vierdaagse",
    "TT Assen",
    "Lowlands",
    "Meldingen per 1.000 inwoners: 4,2",
    "Score -0,35",
    "n=1.024",
    "p < 0,05",
    "95%-betrouwbaarheidsinterval",
    "R² = 0,81",
    "Van 2019 tot en met 2024",
    "1e kwartaal",
    "2e helft",
    "Top 10",
    "De Mariabrug",
    "Haven 12",
    "Markt 24",
    "Kade 3",
    "Stationsweg",
    "Boschstraat",
    "Ginneken",
    "Bavel",
    "Teteringen",
    "Prinsenbeek",
]

ONE_PER_CATEGORY = {
    "person's name": "Sanne de Vries",
    "e-mail address": "s.devries@example.nl",
    "phone number": "06-12345678",
    "citizen service number (BSN)": "123.456.782",
    "bank account number (IBAN)": "NL91 ABNA 0417 1643 00",
    "social-media handle or profile": "instagram.com/sanne.devries",
    "licence plate": "12-ABC-3",
    "postcode with house number": "3011 AB 12",
    "IP address": "192.168.1.10",
    "date of birth": "geboren 12-03-1985",
}
"""One plain example per category, named as the guard names it."""

MUST_PASS = [
    "GM0758", "WK075801", "BU07580101", "GM0758 en WK075801", "5611", "Postcodegebied 4811",
    "2024-01-15", "2024-01-15T10:00:00", "01-02-2024 12:00",
    "Op 12 maart 2024 was er een demonstratie.",
    "2024-W03", "Week 12 liet 34 meldingen zien.", "42", "0", "-0.75", "3.1415926535",
    "€ 10.000.000.000", "€ 1.250.250.250 aan subsidie", "Het budget is € 2.500.000,-.",
    "123456789", "111222334", "NL92ABNA0417164300", "high_impact_crime",
    "youth_nuisance_online", "weekly_count", "Frederik Hendrikbuurt", "Rat Verlegh Stadion",
    "Claudius Prinsenlaan", "Prins Hendrikkade", "De burgemeester van Breda opende de avond.",
    "Gemeente Breda", "Politie Midden-Nederland", "Stichting Halt", "GGD West-Brabant",
    "Veiligheidsregio Midden- en West-Brabant", "Albert Heijn", "Johan Cruijff ArenA",
    "Bij het Rat Verlegh Stadion was het onrustig.", "De wijk Frederik Hendrikbuurt in Den Haag.",
    "Het bureau aan de Claudius Prinsenlaan is dicht.", "Rotterdam", "Den Haag",
    "Het Veiligheidshuis Tilburg coördineert de aanpak.", "Bel bij nood 112.",
    "De politie is bereikbaar via 0900-8844.", "Versie 2.1 van het sjabloon",
    "In 2023 waren er 1.234 incidenten, 12% meer dan in 2022.", "Om 12:30 begon de manifestatie.",
    "Het aantal bezoekers was 45.000.", "Koningsdag 2024 verliep rustig.",
    "De wijkagent sprak met de bewoners.", "Jongeren uit de wijk hielden een bijeenkomst.",
    "Zie artikel 2:3 van de APV.", "Evaluatie na 6 maanden, in Q3 2024.",
    "Rapportage per kwartaal aan de driehoek.", "Het Willem II-stadion in Tilburg",
    "Het Jeroen Bosch Ziekenhuis ligt in 's-Hertogenbosch.", "Sportpark De Baars",
    "De Markt in Breda", "Oud en Nieuw 2024/2025", "Het team telde 5 BOA's en 2 agenten.",
    "Gebiedsverbod volgens artikel 172a Gemeentewet", "De DigiKamer van Breda", "14 076",
    "1.0.0", "Percentage: 12,5%", "Zaaknummer 2024-00123", "Ingang Noord, vak 12",
    "Looptijd: 2 jaar, start 01-01-2024.", "Er waren 250 geboorten in 2023.",
]  # fmt: skip


@functools.cache
def corpus() -> tuple[tuple[str, str | None], ...]:
    """(text, category) pairs; category None means the text must pass."""
    rng = random.Random(18)
    fake = Faker("nl_NL")
    fake.seed_instance(18)
    generated = {
        "name": [fake.name() for _ in range(40)] + [fake.name().lower() for _ in range(10)],
        "email": [fake.email() for _ in range(20)],
        "phone": [_phone(rng) for _ in range(25)],
        "bsn": [_bsn(rng, sep) for sep in ("", ".", " ") * 8],
        "iban": [_iban(rng, spaced) for spaced in (False, True) * 10],
        "social": [f"{site}/{fake.user_name()}" for site in _SITES * 3],
        "plate": [_plate(fake.license_plate(), rng) for _ in range(25)],
        "postcode": [_address(fake.postcode(), rng) for _ in range(25)],
        "ip": [fake.ipv4() for _ in range(10)] + [fake.ipv6() for _ in range(10)],
        "birth_date": [_birth(fake, rng) for _ in range(25)],
    }
    written = [HAND_WRITTEN, MORE_HARD_CASES, THIRD_HARD_CASES]
    pairs = [(text, cat) for cases in written for cat, texts in cases.items() for text in texts]
    for category, texts in generated.items():
        pairs += [(text, category) for text in texts]
        pairs += [(rng.choice(SENTENCES).format(text), category) for text in texts[::2]]
    pairs += [(text, None) for text in MUST_PASS + MORE_MUST_PASS + THIRD_MUST_PASS]
    pairs += [(text, None) for text in _generated_passes(fake, rng)]
    return tuple(pairs)


_SITES = (
    "instagram.com", "https://www.tiktok.com/@", "twitter.com", "x.com", "facebook.com",
    "snapchat.com/add",
)  # fmt: skip


def _phone(rng: random.Random) -> str:
    """A Dutch mobile or landline number in one of its usual spellings."""
    mobile = f"6{rng.randrange(1, 6)}{rng.randrange(10**6, 10**7)}"
    area = rng.choice(["10", "20", "30", "40", "70", "76", "13", "50", "73", "43"])
    line = rng.choice([mobile, f"{area}{rng.randrange(2 * 10**6, 10**7)}"])
    spelled = rng.choice([f"0{line[:2]}-{line[2:]}", f"+31 {line[:1]} {line[1:]}",
                          f"0031{line}", f"0{line[:2]} {line[2:5]} {line[5:]}",
                          f"({'0' + line[:2]}) {line[2:]}", f"0{line}"])  # fmt: skip
    return spelled


def _bsn(rng: random.Random, separator: str) -> str:
    """A random nine-digit number passing the 11-check, grouped 3-3-3 with separator."""
    while not bsn_check.is_valid(digits := f"{rng.randrange(10**8, 10**9)}"):
        pass
    return separator.join((digits[:3], digits[3:6], digits[6:]))


def _iban(rng: random.Random, spaced: bool) -> str:
    """A Dutch IBAN with valid check digits (python-stdnum), compact or in groups of four."""
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB"])
    bban = f"{bank}{rng.randrange(10**9, 10**10)}"
    check = iban_check.calc_check_digits(f"NL00{bban}")
    number = f"NL{check}{bban}"
    text = " ".join(number[i : i + 4] for i in range(0, 18, 4)) if spaced else number
    return text.lower() if rng.random() < 0.3 else text


def _plate(plate: str, rng: random.Random) -> str:
    """A Faker plate, sometimes without dashes or in lower case."""
    if rng.random() < 0.4:
        plate = plate.replace("-", "")
    return plate.lower() if rng.random() < 0.3 else plate


def _address(postcode: str, rng: random.Random) -> str:
    """A postcode with a house number (and sometimes an addition) in some spelling."""
    house = f"{rng.randrange(1, 400)}{rng.choice(['', '', 'a', '-b', ' bis', '-2'])}"
    postcode = postcode.lower() if rng.random() < 0.3 else postcode
    return rng.choice([f"{postcode} {house}", f"{postcode}, {house}", f"{house}, {postcode}"])


def _birth(fake: Faker, rng: random.Random) -> str:
    """A date of birth with a cue, in one of the usual Dutch spellings."""
    day = fake.date_of_birth(minimum_age=12, maximum_age=90)
    date = rng.choice([day.strftime("%d-%m-%Y"), day.isoformat(), day.strftime("%d/%m/%Y")])
    cue = rng.choice(["geboren", "geb.", "geboortedatum:", "DOB", "Geboren op"])
    return f"{cue} {date}"


def _generated_passes(fake: Faker, rng: random.Random) -> list[str]:
    """Places, streets, dates, amounts and counts that are no personal data."""
    texts = [fake.city() for _ in range(15)] + [fake.street_name() for _ in range(15)]
    texts += [fake.date_between("-5y").isoformat() for _ in range(10)]
    texts += [f"€ {rng.randrange(1000, 10**9):,}".replace(",", ".") for _ in range(10)]
    texts += [f"In week {rng.randrange(1, 53)} waren er {rng.randrange(2, 900)} meldingen."
              for _ in range(10)]  # fmt: skip
    texts += [f"In {fake.city()} nam de overlast in {fake.street_name()} af." for _ in range(10)]
    return texts

//! Deterministic corpora of realistic email addresses for invitekit's benchmarks.
//!
//! Every benchmark and every peer comparison in this crate runs on text made here, so the
//! numbers are reproducible: the same `(n, seed)` always gives the same bytes, on every machine
//! and every run (the generator is a [`SplitMix64`] with fixed word lists, no system randomness).
//!
//! - [`addresses`] makes bare addresses, one address per string, with no separator, bracket,
//!   quote or trailing punctuation in them, so each string is something every peer validator
//!   can be asked about as it is.
//! - [`lines`] makes the same addresses as one text, one per line: the big-list benchmark's input.
//! - [`paste`] makes what an admin pastes into the invite form: the same kind of addresses,
//!   a few of them with display names (`Jane Doe <jane.doe@acme.com>`), joined by a mix of
//!   `, ` `; ` `,` `;` line breaks and spaces.
//!
//! The mix, per address, with [`Mix::default`] (shares are per mille, drawn independently for
//! each address, so a corpus's shares are close to these but not exact):
//!
//! | share | kind | examples |
//! |---|---|---|
//! | about 95% | plain ASCII ([`AddressKind::Ascii`]) | `jane.doe@brightlabs.com`, `jdoe@mail.acme.io`, `Sam.Lee+invites@gmail.com`, `info@cedar-legal.co.uk` |
//! | 2.5% | internationalized domain ([`AddressKind::IdnDomain`]) | `jan.novak@bücher.example`, `mia@münchen.de` |
//! | 1.5% | non-ASCII local part ([`AddressKind::UnicodeLocal`]) | `josé.garcía@nova-media.es`, `用户@例え.jp` |
//! | 1% | invalid ([`AddressKind::Invalid`]) | `jane.doe.acme.com`, `jane..doe@acme.com`, `jane@`, `jane@acme` |
//!
//! Within the plain ASCII ones: about a third `first.last`, then `flast`, `first`, `first_last`,
//! `first.m.last`, digits (`jane.doe84`), role accounts (`billing`, `accounts-payable`) and
//! single letters; 5% carry a `+tag`; 9% are capitalized or all upper case; a third are at free
//! mail providers and one in eight at a subdomain of a company. Names are drawn from short lists,
//! so a large corpus holds some duplicates, as real lists do.
//!
//! ```
//! use invitekit_benches::{addresses, paste};
//!
//! let list = addresses(1_000, 42);
//! assert_eq!(list.len(), 1_000);
//! assert_eq!(list, addresses(1_000, 42));
//! assert!(paste(200, 7).contains('@'));
//! ```

use std::fmt::Write as _;

/// The seed the benches use unless told otherwise.
pub const DEFAULT_SEED: u64 = 0x1A7E_C0DE;

/// A small, fast, deterministic pseudo-random generator (SplitMix64).
///
/// Not for anything secret: it only makes benchmark corpora repeatable.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with a probability of `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as usize
    }

    /// One element of a non-empty slice, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One value of a non-empty table of `(weight, value)`, with chances proportional to weight.
    pub fn weighted<T: Copy>(&mut self, table: &[(u32, T)]) -> T {
        let total: u32 = table.iter().map(|(weight, _)| weight).sum();
        let mut roll = self.below(total as usize) as u32;
        for &(weight, value) in table {
            if roll < weight {
                return value;
            }
            roll -= weight;
        }
        table[table.len() - 1].1
    }
}

/// What kind of address the generator meant to make.
///
/// "Meant": the generator's intent, by the product's rules. Peer validators disagree about some
/// of these (a dotless domain, a one-letter top-level label, a non-ASCII local part), which is
/// part of what a comparison shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// ASCII local part and ASCII domain, valid.
    Ascii,
    /// ASCII local part at an internationalized domain (`bücher.example`), valid.
    IdnDomain,
    /// Non-ASCII local part (needs SMTPUTF8), at an ASCII or internationalized domain, valid.
    UnicodeLocal,
    /// Broken on purpose: no `@`, no local part or domain, doubled dots or `@`, a dotless or
    /// one-letter-top-level domain, a leading dot or hyphen, an underscore in the domain.
    Invalid,
}

impl AddressKind {
    /// Whether the generator meant the address to be valid.
    pub fn is_valid(self) -> bool {
        self != AddressKind::Invalid
    }
}

/// The shares, per mille, of each kind of address and decoration. See the crate docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    /// Addresses broken on purpose. Default 10 (1%).
    pub invalid: u32,
    /// Addresses at an internationalized domain. Default 25 (2.5%).
    pub idn_domain: u32,
    /// Addresses with a non-ASCII local part. Default 15 (1.5%).
    pub unicode_local: u32,
    /// Plain ASCII addresses with a `+tag`. Default 50 (5%).
    pub plus_tag: u32,
    /// Plain ASCII addresses typed with capitals (`Jane.Doe@Acme.com`, `JDOE@ACME.COM`).
    /// Default 90 (9%).
    pub uppercase: u32,
    /// In a paste: entries with a display name (`Jane Doe <jane@x.com>`, `"Doe, Jane" <...>`,
    /// `Doe, Jane <...>`, `jane@x.com (Jane Doe)`). Default 60 (6%).
    pub display_name: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            invalid: 10,
            idn_domain: 25,
            unicode_local: 15,
            plus_tag: 50,
            uppercase: 90,
            display_name: 60,
        }
    }
}

/// One generated address with the kind the generator meant it to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The address, bare: no name, brackets or separators.
    pub address: String,
    /// What the generator meant it to be.
    pub kind: AddressKind,
    /// The person's display name (`Jane Doe`), used when a paste shows a name.
    pub name: String,
}

const FIRST_NAMES: &[&str] = &[
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "daniel",
    "nancy",
    "matthew",
    "lisa",
    "anthony",
    "betty",
    "mark",
    "margaret",
    "paul",
    "sandra",
    "steven",
    "ashley",
    "andrew",
    "kimberly",
    "joshua",
    "emily",
    "kevin",
    "donna",
    "brian",
    "michelle",
    "george",
    "carol",
    "timothy",
    "amanda",
    "ronald",
    "melissa",
    "jason",
    "deborah",
    "ryan",
    "stephanie",
    "jacob",
    "rebecca",
    "gary",
    "sharon",
    "nicholas",
    "laura",
    "eric",
    "cynthia",
    "jonathan",
    "kathleen",
    "wei",
    "mei",
    "hiroshi",
    "yuki",
    "priya",
    "arjun",
    "fatima",
    "omar",
    "olga",
    "ivan",
    "lars",
    "ingrid",
    "pierre",
    "amelie",
    "luca",
    "giulia",
    "mateo",
    "sofia",
    "kwame",
    "amara",
    "noah",
    "emma",
    "liam",
    "olivia",
    "ali",
    "zoe",
    "max",
    "ana",
    "jo",
    "al",
];

const LAST_NAMES: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "kowalski",
    "novak",
    "schmidt",
    "muller",
    "rossi",
    "bianchi",
    "dubois",
    "lefebvre",
    "jansen",
    "de-vries",
    "andersson",
    "nielsen",
    "ivanov",
    "petrov",
    "tanaka",
    "suzuki",
    "kim",
    "park",
    "chen",
    "wang",
    "li",
    "zhang",
    "patel",
    "sharma",
    "singh",
    "okafor",
    "mensah",
    "haddad",
    "cohen",
    "o'brien",
    "mcallister",
    "van-der-berg",
    "fitzgerald-stewart",
    "wu",
    "ng",
];

const COMPANY_STEMS: &[&str] = &[
    "bright",
    "blue",
    "north",
    "green",
    "silver",
    "rapid",
    "clear",
    "summit",
    "harbor",
    "pixel",
    "cedar",
    "atlas",
    "nova",
    "vertex",
    "orbit",
    "lumen",
    "maple",
    "river",
    "stone",
    "iron",
    "acme",
    "globex",
    "initech",
    "contoso",
    "fabrikam",
    "northwind",
    "tailspin",
    "wingtip",
    "litware",
    "proseware",
];

const COMPANY_SUFFIXES: &[&str] = &[
    "labs",
    "works",
    "soft",
    "tech",
    "health",
    "legal",
    "capital",
    "media",
    "design",
    "logistics",
    "consulting",
    "systems",
    "partners",
    "studio",
    "group",
    "analytics",
    "dental",
    "fitness",
    "coaching",
    "realty",
];

const TLDS: &[(u32, &str)] = &[
    (40, "com"),
    (8, "io"),
    (5, "co"),
    (6, "net"),
    (6, "org"),
    (6, "de"),
    (6, "co.uk"),
    (3, "fr"),
    (3, "nl"),
    (3, "com.au"),
    (3, "ca"),
    (2, "ch"),
    (2, "se"),
    (2, "es"),
    (2, "app"),
    (2, "dev"),
    (1, "agency"),
];

const FREE_MAIL: &[(u32, &str)] = &[
    (40, "gmail.com"),
    (14, "outlook.com"),
    (10, "yahoo.com"),
    (8, "hotmail.com"),
    (7, "icloud.com"),
    (4, "proton.me"),
    (3, "gmx.de"),
    (3, "web.de"),
    (2, "yahoo.co.uk"),
    (2, "orange.fr"),
    (2, "live.com"),
    (2, "aol.com"),
    (1, "fastmail.com"),
    (1, "zoho.com"),
    (1, "hey.com"),
];

const SUBDOMAINS: &[&str] = &[
    "mail", "eu", "us", "corp", "hq", "students", "staff", "clients", "uk", "emea",
];

const ROLE_ACCOUNTS: &[&str] = &[
    "info",
    "sales",
    "support",
    "billing",
    "hr",
    "office",
    "contact",
    "team",
    "admin",
    "accounts-payable",
    "front.desk",
    "reception",
    "hello",
    "noreply",
    "it-helpdesk",
];

const PLUS_TAGS: &[&str] = &[
    "news",
    "invites",
    "2024",
    "saas",
    "trial",
    "work",
    "clients",
    "x",
    "acme-portal",
];

const IDN_DOMAINS: &[&str] = &[
    "bücher.example",
    "münchen.de",
    "köln.de",
    "zürich.ch",
    "straße.de",
    "café.fr",
    "españa.com",
    "exämple.com",
    "mail.münchen.de",
    "例え.jp",
    "пример.рф",
    "δοκιμή.gr",
    "中文.cn",
    "åland.fi",
    "ñandú.com.ar",
];

const UNICODE_LOCALS: &[(&str, &str)] = &[
    ("josé.garcía", "José García"),
    ("françois", "François Dubois"),
    ("zoë.martin", "Zoë Martin"),
    ("søren.nielsen", "Søren Nielsen"),
    ("jürgen.müller", "Jürgen Müller"),
    ("björn", "Björn Andersson"),
    ("ana.pérez", "Ana Pérez"),
    ("δοκιμή", "Δοκιμή"),
    ("用户", "用户"),
    ("пользователь", "Пользователь"),
    ("ålesund", "Åse Lund"),
    ("renée.o'neil", "Renée O'Neil"),
    ("山田太郎", "山田太郎"),
];

/// Ways to break an address; each still is one plain word.
#[derive(Debug, Clone, Copy)]
enum Breakage {
    NoAt,
    NoDomain,
    NoLocal,
    DoubleDot,
    DoubleAt,
    DomainDoubleDot,
    LeadingDot,
    DotBeforeAt,
    Dotless,
    OneLetterTld,
    HyphenLabel,
    UnderscoreDomain,
}

const BREAKAGES: &[(u32, Breakage)] = &[
    (20, Breakage::NoAt),
    (12, Breakage::NoDomain),
    (8, Breakage::NoLocal),
    (12, Breakage::DoubleDot),
    (8, Breakage::DoubleAt),
    (8, Breakage::DomainDoubleDot),
    (5, Breakage::LeadingDot),
    (7, Breakage::DotBeforeAt),
    (8, Breakage::Dotless),
    (4, Breakage::OneLetterTld),
    (4, Breakage::HyphenLabel),
    (4, Breakage::UnderscoreDomain),
];

#[derive(Debug, Clone, Copy)]
enum LocalStyle {
    FirstDotLast,
    InitialLast,
    First,
    FirstUnderscoreLast,
    FirstHyphenLast,
    FirstLast,
    FirstInitialLast,
    LastDotFirst,
    FirstDigits,
    FirstDotLastDigits,
    Role,
    Letter,
}

const LOCAL_STYLES: &[(u32, LocalStyle)] = &[
    (34, LocalStyle::FirstDotLast),
    (12, LocalStyle::InitialLast),
    (8, LocalStyle::First),
    (5, LocalStyle::FirstUnderscoreLast),
    (3, LocalStyle::FirstHyphenLast),
    (5, LocalStyle::FirstLast),
    (4, LocalStyle::FirstInitialLast),
    (3, LocalStyle::LastDotFirst),
    (8, LocalStyle::FirstDigits),
    (7, LocalStyle::FirstDotLastDigits),
    (6, LocalStyle::Role),
    (1, LocalStyle::Letter),
];

/// A stream of addresses, fixed by its seed and [`Mix`].
#[derive(Debug, Clone)]
pub struct Corpus {
    rng: SplitMix64,
    mix: Mix,
}

impl Corpus {
    /// A stream with the default [`Mix`].
    pub fn new(seed: u64) -> Self {
        Corpus::with_mix(seed, Mix::default())
    }

    /// A stream with the given [`Mix`].
    pub fn with_mix(seed: u64, mix: Mix) -> Self {
        Corpus {
            rng: SplitMix64::new(seed),
            mix,
        }
    }

    /// The next address, with its kind and the person's display name.
    pub fn sample(&mut self) -> Sample {
        let roll = self.rng.below(1000) as u32;
        let mix = &self.mix;
        if roll < mix.invalid {
            self.invalid()
        } else if roll < mix.invalid + mix.idn_domain {
            let (local, name) = self.ascii_local();
            let domain = *self.rng.pick(IDN_DOMAINS);
            Sample {
                address: format!("{local}@{domain}"),
                kind: AddressKind::IdnDomain,
                name,
            }
        } else if roll < mix.invalid + mix.idn_domain + mix.unicode_local {
            let &(local, name) = self.rng.pick(UNICODE_LOCALS);
            let domain = if self.rng.chance(300) {
                (*self.rng.pick(IDN_DOMAINS)).to_owned()
            } else {
                self.domain()
            };
            Sample {
                address: format!("{local}@{domain}"),
                kind: AddressKind::UnicodeLocal,
                name: name.to_owned(),
            }
        } else {
            self.ascii()
        }
    }

    /// The next bare address.
    pub fn address(&mut self) -> String {
        self.sample().address
    }

    /// The next entry of a paste: a bare address, or (with [`Mix::display_name`]'s share) the
    /// address with a display name.
    pub fn paste_entry(&mut self) -> String {
        let sample = self.sample();
        if !self.rng.chance(self.mix.display_name) {
            return sample.address;
        }
        let Sample { address, name, .. } = sample;
        match self.rng.below(10) {
            0..=4 => format!("{name} <{address}>"),
            5..=6 => match name.rsplit_once(' ') {
                Some((first, last)) => format!("\"{last}, {first}\" <{address}>"),
                None => format!("\"{name}\" <{address}>"),
            },
            7..=8 => match name.rsplit_once(' ') {
                Some((first, last)) => format!("{last}, {first} <{address}>"),
                None => format!("{name} <{address}>"),
            },
            _ => format!("{address} ({name})"),
        }
    }

    fn ascii(&mut self) -> Sample {
        let (mut local, name) = self.ascii_local();
        if self.rng.chance(self.mix.plus_tag) {
            local.push('+');
            let tag = *self.rng.pick(PLUS_TAGS);
            local.push_str(tag);
        }
        let mut address = format!("{local}@{}", self.domain());
        if self.rng.chance(self.mix.uppercase) {
            address = if self.rng.chance(150) {
                address.to_ascii_uppercase()
            } else {
                // `Jane.Doe@gmail.com` or `Jane.Doe@Acme.com`: people capitalize names, rarely
                // top-level labels.
                let (local, domain) = address.split_once('@').expect("an address has an @");
                let (first_label, rest) = domain.split_once('.').expect("a domain has a dot");
                let first_label = if self.rng.chance(400) {
                    capitalize_words(first_label)
                } else {
                    first_label.to_owned()
                };
                format!("{}@{first_label}.{rest}", capitalize_words(local))
            };
        }
        Sample {
            address,
            kind: AddressKind::Ascii,
            name,
        }
    }

    /// An ASCII local part and the display name of its owner.
    fn ascii_local(&mut self) -> (String, String) {
        let first = *self.rng.pick(FIRST_NAMES);
        let last = *self.rng.pick(LAST_NAMES);
        let name = format!("{} {}", capitalize_words(first), capitalize_words(last));
        let initial = &first[..1];
        let local = match self.rng.weighted(LOCAL_STYLES) {
            LocalStyle::FirstDotLast => format!("{first}.{last}"),
            LocalStyle::InitialLast => format!("{initial}{last}"),
            LocalStyle::First => first.to_owned(),
            LocalStyle::FirstUnderscoreLast => format!("{first}_{last}"),
            LocalStyle::FirstHyphenLast => format!("{first}-{last}"),
            LocalStyle::FirstLast => format!("{first}{last}"),
            LocalStyle::FirstInitialLast => {
                let middle = (b'a' + self.rng.below(26) as u8) as char;
                format!("{first}.{middle}.{last}")
            }
            LocalStyle::LastDotFirst => format!("{last}.{first}"),
            LocalStyle::FirstDigits => format!("{first}{}", self.rng.below(100)),
            LocalStyle::FirstDotLastDigits => {
                let digits = [10, 100, 1000, 10000][self.rng.below(4)];
                format!("{first}.{last}{}", self.rng.below(digits))
            }
            LocalStyle::Role => return ((*self.rng.pick(ROLE_ACCOUNTS)).to_owned(), name),
            LocalStyle::Letter => initial.to_owned(),
        };
        (local, name)
    }

    /// An ASCII domain: a company's, a subdomain of one, or a free mail provider's.
    fn domain(&mut self) -> String {
        match self.rng.below(100) {
            0..=32 => self.rng.weighted(FREE_MAIL).to_owned(),
            33..=44 => {
                let sub = *self.rng.pick(SUBDOMAINS);
                format!("{sub}.{}", self.company_domain())
            }
            _ => self.company_domain(),
        }
    }

    fn company_domain(&mut self) -> String {
        let stem = *self.rng.pick(COMPANY_STEMS);
        let suffix = *self.rng.pick(COMPANY_SUFFIXES);
        let tld = self.rng.weighted(TLDS);
        let joiner = if self.rng.chance(250) { "-" } else { "" };
        format!("{stem}{joiner}{suffix}.{tld}")
    }

    fn invalid(&mut self) -> Sample {
        let (local, name) = self.ascii_local();
        let domain = self.company_domain();
        let address = match self.rng.weighted(BREAKAGES) {
            Breakage::NoAt => format!("{local}.{domain}"),
            Breakage::NoDomain => format!("{local}@"),
            Breakage::NoLocal => format!("@{domain}"),
            Breakage::DoubleDot => {
                let first = local.split(['.', '_', '-']).next().unwrap_or("x");
                format!(
                    "{first}..{}@{domain}",
                    &name[name.rfind(' ').map_or(0, |i| i + 1)..].to_ascii_lowercase()
                )
            }
            Breakage::DoubleAt => format!("{local}@@{domain}"),
            Breakage::DomainDoubleDot => format!("{local}@{}", domain.replacen('.', "..", 1)),
            Breakage::LeadingDot => format!(".{local}@{domain}"),
            Breakage::DotBeforeAt => format!("{local}.@{domain}"),
            Breakage::Dotless => format!(
                "{local}@{}",
                domain.split('.').next().unwrap_or("localhost")
            ),
            Breakage::OneLetterTld => {
                let company = domain.split('.').next().unwrap_or("acme");
                format!(
                    "{local}@{company}.{}",
                    (b'a' + self.rng.below(26) as u8) as char
                )
            }
            Breakage::HyphenLabel => format!("{local}@-{domain}"),
            Breakage::UnderscoreDomain => {
                let company = domain.split('.').next().unwrap_or("acme");
                format!("{local}@{company}_{}.com", self.rng.pick(COMPANY_SUFFIXES))
            }
        };
        Sample {
            address,
            kind: AddressKind::Invalid,
            name,
        }
    }
}

/// Upper-cases the first letter of every run of ASCII letters (`jane.doe@acme.com` becomes
/// `Jane.Doe@Acme.Com`).
fn capitalize_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_start = true;
    for c in text.chars() {
        if at_start && c.is_ascii_lowercase() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
        at_start = !c.is_ascii_alphabetic();
    }
    out
}

/// `n` generated addresses with their kinds, fixed by `seed`.
pub fn samples(n: usize, seed: u64) -> Vec<Sample> {
    let mut corpus = Corpus::new(seed);
    (0..n).map(|_| corpus.sample()).collect()
}

/// `n` bare addresses, fixed by `seed`: each string is one address (valid or, for about 1%,
/// broken on purpose) with nothing around it.
pub fn addresses(n: usize, seed: u64) -> Vec<String> {
    let mut corpus = Corpus::new(seed);
    (0..n).map(|_| corpus.address()).collect()
}

/// A pasted list of `n` entries, fixed by `seed`, as an admin would paste it: addresses, a few
/// with display names, joined by a mix of `, ` `; ` `,` `;` `\n` `,\n` `\r\n` and spaces.
///
/// Every entry holds exactly one address (so a parser should find `n` entries).
pub fn paste(n: usize, seed: u64) -> String {
    const SEPARATORS: &[(u32, &str)] = &[
        (30, ", "),
        (30, "\n"),
        (14, "; "),
        (8, ","),
        (4, ";"),
        (5, ",\n"),
        (3, "\r\n"),
        (4, " "),
        (2, "  "),
    ];
    let mut corpus = Corpus::new(seed);
    let mut separators = SplitMix64::new(seed ^ 0x5EB4_2A70_0000_0001);
    let mut out = String::with_capacity(n * 32);
    for i in 0..n {
        if i > 0 {
            out.push_str(separators.weighted(SEPARATORS));
        }
        let entry = corpus.paste_entry();
        // A name in Outlook's style (`Doe, Jane <...>`) right after a comma would swallow the
        // comma's neighbour as part of its name in some parsers; paste it as Outlook does, after
        // a semicolon.
        let outlook_style = !entry.starts_with('"') && entry.contains(", ") && entry.ends_with('>');
        if outlook_style && (out.ends_with(',') || out.ends_with(", ")) {
            let keep = out.trim_end_matches([',', ' ']).len();
            out.truncate(keep);
            out.push_str("; ");
        }
        out.push_str(&entry);
    }
    out
}

/// The same `n` addresses as [`addresses`]`(n, seed)`, one per line with a final newline, made
/// without keeping `n` separate strings alive: a benchmark's heap is then not left holding a
/// million freed small blocks that would skew the allocations it measures.
pub fn lines(n: usize, seed: u64) -> String {
    let mut corpus = Corpus::new(seed);
    let mut out = String::with_capacity(n * 28);
    for _ in 0..n {
        out.push_str(&corpus.sample().address);
        out.push('\n');
    }
    out
}

/// `addresses` joined by `\n`, one per line, with a final newline.
pub fn one_per_line(addresses: &[String]) -> String {
    let mut out = String::with_capacity(addresses.iter().map(|a| a.len() + 1).sum());
    for address in addresses {
        let _ = writeln!(out, "{address}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, to pin the corpus without storing it.
    fn fingerprint(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[test]
    fn same_seed_same_addresses() {
        assert_eq!(addresses(5_000, 1), addresses(5_000, 1));
        assert_eq!(paste(500, 1), paste(500, 1));
    }

    #[test]
    fn different_seeds_differ() {
        assert_ne!(addresses(100, 1), addresses(100, 2));
        assert_ne!(paste(100, 1), paste(100, 2));
    }

    #[test]
    fn lines_are_the_addresses_one_per_line() {
        assert_eq!(lines(3_000, 8), one_per_line(&addresses(3_000, 8)));
    }

    #[test]
    fn a_shorter_corpus_is_a_prefix_of_a_longer_one() {
        let long = addresses(2_000, 9);
        assert_eq!(addresses(500, 9)[..], long[..500]);
    }

    #[test]
    fn output_is_pinned() {
        // Benchmark results are comparable over time only while the corpus stays the same.
        // If a change to the generator is intended, update these and say so in the results.
        let list = one_per_line(&addresses(10_000, DEFAULT_SEED));
        let pasted = paste(200, DEFAULT_SEED);
        assert_eq!(
            (fingerprint(&list), fingerprint(&pasted)),
            (PINNED_LIST, PINNED_PASTE),
            "corpus changed"
        );
    }

    const PINNED_LIST: u64 = 3355655984383159184;
    const PINNED_PASTE: u64 = 4832906517645113772;

    #[test]
    fn bare_addresses_are_one_plain_word() {
        for address in addresses(20_000, 3) {
            assert!(!address.is_empty());
            assert!(
                !address
                    .chars()
                    .any(|c| c.is_whitespace() || ",;<>()\"[]\\".contains(c)),
                "not plain: {address:?}"
            );
            assert!(
                !address.ends_with(['.', '-']),
                "trailing punctuation: {address:?}"
            );
        }
    }

    #[test]
    fn kinds_come_in_the_documented_shares() {
        let list = samples(100_000, 5);
        let share =
            |kind: AddressKind| list.iter().filter(|s| s.kind == kind).count() as f64 / 1000.0;
        let (invalid, idn, unicode) = (
            share(AddressKind::Invalid),
            share(AddressKind::IdnDomain),
            share(AddressKind::UnicodeLocal),
        );
        assert!((0.7..1.3).contains(&invalid), "invalid {invalid}%");
        assert!((2.0..3.0).contains(&idn), "idn {idn}%");
        assert!((1.1..1.9).contains(&unicode), "unicode {unicode}%");
        for sample in &list {
            let at = sample.address.matches('@').count();
            if sample.kind.is_valid() {
                assert_eq!(at, 1, "{sample:?}");
                assert_eq!(
                    sample.address.is_ascii(),
                    sample.kind == AddressKind::Ascii,
                    "{sample:?}"
                );
            }
        }
    }

    #[test]
    fn addresses_vary() {
        let list = addresses(10_000, 11);
        let lengths: Vec<usize> = list.iter().map(String::len).collect();
        assert!(
            lengths.iter().min() < Some(&12) && lengths.iter().max() > Some(&35),
            "lengths too uniform"
        );
        assert!(list.iter().any(|a| a.contains('+')));
        assert!(
            list.iter()
                .any(|a| a.chars().any(|c| c.is_ascii_uppercase()))
        );
        assert!(list.iter().any(|a| a.matches('.').count() >= 3));
        let unique: std::collections::HashSet<_> = list.iter().map(|a| a.to_lowercase()).collect();
        assert!(
            unique.len() > list.len() * 9 / 10,
            "too many duplicates: {}",
            unique.len()
        );
    }

    #[test]
    fn paste_mixes_separators_and_names() {
        let text = paste(2_000, 4);
        for needle in [", ", "; ", "\n", " <", "\" <", ">; ", " ("] {
            assert!(text.contains(needle), "no {needle:?}");
        }
        assert!((1_950..2_050).contains(&text.matches('@').count()));
        assert!(!text.starts_with([',', ';', ' ', '\n']) && !text.ends_with([',', ';', ' ', '\n']));
    }

    #[test]
    fn rng_stays_in_range() {
        let mut rng = SplitMix64::new(0);
        let mut seen = [0usize; 7];
        for _ in 0..7_000 {
            seen[rng.below(7)] += 1;
        }
        assert!(
            seen.iter().all(|&count| (800..1200).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}

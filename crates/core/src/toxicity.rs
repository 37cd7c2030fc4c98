//! A local toxicity score for auto-moderation: a small hand-written model that
//! runs in-process, with no network, no external service and no ML framework.
//!
//! The score only ever holds content for review or alerts moderators; it never
//! sanctions anyone by itself, so it favours explainability over cleverness:
//! every point of score comes from a cue a moderator can read in `reasons`.
//!
//! How it works, in order:
//! 1. **Normalise** the first [`MAX_CHARS`] characters: lower case, Cyrillic,
//!    Greek and full-width look-alikes and common accents folded to ASCII,
//!    zero-width characters dropped, l33t digits and symbols inside words read
//!    as letters (`1d10t`, `$`, `@`, `!`), punctuation inside words removed
//!    (`m.o.r.o.n`), repeated letters collapsed (`stupiiid`), `*` kept as a
//!    one-letter wildcard (`f***ing`, `sh*t`), and runs of single letters
//!    joined and re-segmented (`y o u  a r e  a  m o r o n`).
//! 2. **Find cues** in a lexicon: insults (slurs, strong and mild nouns,
//!    adjectives), profanity, and phrases (threats, self-harm incitement,
//!    hostile dismissal, sexual harassment, identity-based hostility), plus two
//!    rules: a violent verb with "you" as its object, and a wish of harm
//!    ("hope you crash").
//! 3. **Weigh each cue by context**: an insult aimed at a person ("you are an
//!    idiot", "the admin is a clown", a bare "moron.") weighs much more than
//!    one that is not ("the idiot box"); negation before it ("you're not
//!    stupid"), self-reference ("I'm such an idiot"), double quotes and
//!    reporting words ("someone called me an idiot, is that allowed?") and
//!    common benign idioms ("guinea pig", "kill the process") weigh it down.
//! 4. **Combine** the cues as independent evidence: `1 - Π(1 - pᵢ)`.
//!
//! The model is English only. Its figures on the labelled set kept in
//! `crates/core/data/toxicity/labelled.tsv` are in ARCHITECTURE.md and are
//! checked by the tests below.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Only this many characters of a text are read, so the work per text is bounded.
pub const MAX_CHARS: usize = 4_000;

/// The default score at which content is held for review.
pub const HOLD_THRESHOLD: f32 = 0.5;

/// At most this many reasons are reported for one text.
const MAX_REASONS: usize = 3;

/// A text's toxicity: a score and the cues that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Toxicity {
    /// 0.0 (nothing found) ..= 1.0.
    pub score: f32,
    /// Short human-readable cues for moderators, strongest first, at most three,
    /// e.g. `insult aimed at a person: "idiot"`.
    pub reasons: Vec<String>,
}

/// Counts from comparing the score at a threshold with labelled texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evaluation {
    /// Texts scored.
    pub n: usize,
    /// Toxic and held.
    pub true_positives: usize,
    /// Ok but held.
    pub false_positives: usize,
    /// Toxic but not held.
    pub false_negatives: usize,
    /// Ok and not held.
    pub true_negatives: usize,
}

impl Evaluation {
    /// Of the texts held, the share that were toxic (1.0 when nothing was held).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Of the toxic texts, the share that were held (1.0 when none were toxic).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (precision, recall) = (self.precision(), self.recall());
        if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        }
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        1.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Scores every sample and counts how the texts at or above `threshold`
/// compare with their labels (`true` = toxic).
pub fn evaluate(samples: &[(&str, bool)], threshold: f32) -> Evaluation {
    let mut evaluation = Evaluation {
        n: samples.len(),
        ..Evaluation::default()
    };
    for (text, toxic) in samples {
        let held = score(text).score >= threshold;
        match (held, *toxic) {
            (true, true) => evaluation.true_positives += 1,
            (true, false) => evaluation.false_positives += 1,
            (false, true) => evaluation.false_negatives += 1,
            (false, false) => evaluation.true_negatives += 1,
        }
    }
    evaluation
}

const LABELLED_TSV: &str = include_str!("../data/toxicity/labelled.tsv");

/// Which part of the labelled set a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Used while writing and tuning the model.
    Dev,
    /// Held out: never looked at while tuning.
    Test,
}

fn labelled_rows() -> impl Iterator<Item = (Split, &'static str, bool)> {
    LABELLED_TSV
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let toxic = match fields.next()? {
                "toxic" => true,
                "ok" => false,
                _ => return None,
            };
            let split = match fields.next()? {
                "dev" => Split::Dev,
                "test" => Split::Test,
                _ => return None,
            };
            Some((split, fields.next()?, toxic))
        })
}

/// Every labelled text (`true` = toxic), both splits, in file order.
pub fn labelled_set() -> Vec<(&'static str, bool)> {
    labelled_rows()
        .map(|(_, text, toxic)| (text, toxic))
        .collect()
}

/// The development split: the texts the model was tuned on.
pub fn dev_set() -> Vec<(&'static str, bool)> {
    labelled_rows()
        .filter(|(split, _, _)| *split == Split::Dev)
        .map(|(_, text, toxic)| (text, toxic))
        .collect()
}

/// The held-out split: never used while tuning, so its figures are the honest ones.
pub fn held_out_set() -> Vec<(&'static str, bool)> {
    labelled_rows()
        .filter(|(split, _, _)| *split == Split::Test)
        .map(|(_, text, toxic)| (text, toxic))
        .collect()
}

// ---------------------------------------------------------------------------
// Lexicon
// ---------------------------------------------------------------------------

/// How an insult word behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WordClass {
    /// Hateful whatever the target; shown masked in reasons.
    Slur,
    /// Almost always an insult even when no target is visible ("moron").
    StrongNoun,
    /// An insult when aimed at someone, weak otherwise ("loser", "clown").
    Noun,
    /// An ordinary word unless clearly aimed at someone ("pig", "troll", "tool").
    AmbiguousNoun,
    /// Needs a person as its subject ("you are stupid" vs "a stupid bug").
    Adjective,
    /// Swearing: weak evidence by itself.
    Profanity(f32),
}

#[derive(Debug, Clone, Copy)]
struct WordCue {
    entry: &'static str,
    class: WordClass,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Category {
    Threat,
    SelfHarm,
    Dismissal,
    Sexual,
    Identity,
    Demeaning,
}

impl Category {
    fn label(self) -> &'static str {
        match self {
            Category::Threat => "threat",
            Category::SelfHarm => "incitement to self-harm",
            Category::Dismissal => "hostile dismissal",
            Category::Sexual => "sexual harassment",
            Category::Identity => "identity-based hostility",
            Category::Demeaning => "demeaning remark",
        }
    }
}

struct Phrase {
    tokens: Vec<String>,
    entry: &'static str,
    category: Category,
    weight: f32,
}

const SLURS: &[&str] = &[
    "retard", "retards", "retarded", "tard", "fag", "faggot", "tranny", "spaz", "spastic", "mong",
    "homo", "dyke", "nigger", "nigga", "chink", "kike", "paki", "wetback", "raghead",
];

#[rustfmt::skip]
const STRONG_NOUNS: &[&str] = &[
    "idiot", "moron", "imbecile", "cunt", "twat", "bitch", "slut", "whore", "skank", "thot",
    "dickhead", "asshole", "ahole", "arsehole", "motherfucker", "fucker", "dipshit", "dumbass",
    "jackass", "wanker", "bellend", "knobhead", "douchebag", "douche", "scumbag", "shithead",
    "bastard", "cretin", "halfwit", "nitwit", "dimwit", "numbskull", "lamebrain", "lardass",
    "fatso", "incel", "neckbeard", "lowlife", "dumbo", "bimbo", "tosser", "pillock", "numpty",
    "buffoon", "ignoramus", "simpleton", "blockhead", "bonehead", "dingbat", "dipstick", "scum",
    "loser", "idiots", "sicko", "pervert", "perv", "crybaby", "windbag", "troglodyte",
];

#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "clown", "fool", "jerk", "creep", "freak", "weirdo", "prick", "dick", "git", "prat", "muppet",
    "dunce", "dolt", "oaf", "degenerate", "parasite", "leech", "freeloader", "vermin", "cockroach",
    "weasel", "slob", "fatty", "snowflake", "brat", "crook", "fraud", "liar", "shill", "noob",
    "hick", "redneck", "bigot", "coward", "bozo", "disgrace", "embarrassment", "twit", "boor",
    "neanderthal", "caveman", "psycho", "hoe", "clot", "nob", "doofus", "dork", "nerd", "wimp",
    "sissy", "scrub", "dummy", "donkey", "dictator",
];

const AMBIGUOUS_NOUNS: &[&str] = &[
    "troll", "pig", "cow", "rat", "snake", "worm", "sheep", "ape", "monkey", "tool", "weapon",
    "melt", "plank", "div", "joke", "hack", "thief", "trash", "garbage", "failure", "virgin",
    "baby", "disaster", "cancer", "animal", "animals", "pest", "filth", "waste",
];

#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "stupid", "dumb", "thick", "dense", "brainless", "braindead", "clueless", "pathetic",
    "worthless", "useless", "incompetent", "ignorant", "ugly", "fat", "lazy", "disgusting", "vile",
    "idiotic", "moronic", "insufferable", "arrogant", "smug", "condescending", "whiny", "gutless",
    "spineless", "dim", "daft", "gormless", "mental", "filthy", "slimy", "nasty", "dumbest",
    "stupidest", "ugliest", "dumber", "stupider", "uglier", "creepy", "trashy", "hopeless",
    "entitled", "spoiled", "spoilt", "brainwashed", "deluded", "delusional", "unhinged",
    "repulsive", "revolting", "hideous", "sad", "dirty", "stoopid", "dum", "dumm",
];

const PROFANITY: &[(&str, f32)] = &[
    ("fuck", 0.3),
    ("fucking", 0.2),
    ("fucked", 0.2),
    ("fuk", 0.3),
    ("fck", 0.3),
    ("fukc", 0.3),
    ("fcuk", 0.3),
    ("fuckin", 0.2),
    ("shit", 0.12),
    ("shitty", 0.15),
    ("bullshit", 0.15),
    ("crap", 0.05),
    ("piss", 0.1),
    ("cock", 0.2),
    ("arse", 0.15),
];

/// Words that neutralise an insult word right after them ("guinea pig").
const BENIGN_BEFORE: &[(&str, &str)] = &[
    ("guinea", "pig"),
    ("test", "dummy"),
    ("crash", "dummy"),
    ("knee", "jerk"),
    ("april", "fools"),
    ("april", "fool"),
    ("killing", "joke"),
    ("american", "idiot"),
    ("bad", "joke"),
    ("inside", "joke"),
    ("running", "joke"),
    ("mountain", "goat"),
    ("fire", "drill"),
    ("as", "joke"),
];

/// Words that neutralise an insult word right before them ("idiot box").
const BENIGN_AFTER: &[(&str, &str)] = &[
    ("idiot", "box"),
    ("idiot", "proof"),
    ("idiot", "proofing"),
    ("rat", "race"),
    ("dummy", "data"),
    ("dummy", "account"),
    ("dummy", "accounts"),
    ("dummy", "run"),
    ("jerk", "chicken"),
    ("losers", "bracket"),
    ("loser", "bracket"),
    ("loser", "buys"),
    ("fools", "gold"),
    ("pig", "roast"),
    ("troll", "figurine"),
    ("trolls", "under"),
    ("dumb", "phone"),
    ("hack", "day"),
    ("hack", "night"),
    ("stupid", "question"),
    ("dumb", "question"),
    ("stupid", "mistake"),
    ("dumb", "mistake"),
    ("waste", "bin"),
];

/// Idioms in which no word is hostile: cues starting inside them are ignored.
const BENIGN_PHRASES: &[&str] = &[
    "shut up and take my money",
    "go away for",
    "beat you to",
    "beat you there",
    "die hard",
    "kill it with fire",
    "you must be joking",
    "dead to the world",
];

const PHRASES: &[(&str, Category, f32)] = &[
    // Threats and intimidation.
    ("know where you live", Category::Threat, 0.85),
    ("watch your back", Category::Threat, 0.8),
    ("sleep with one eye open", Category::Threat, 0.85),
    ("know your plate", Category::Threat, 0.8),
    ("where you work", Category::Threat, 0.6),
    ("your address", Category::Threat, 0.6),
    ("your home address", Category::Threat, 0.8),
    ("her phone number", Category::Threat, 0.6),
    ("his phone number", Category::Threat, 0.6),
    ("your phone number", Category::Threat, 0.5),
    ("im watching you", Category::Threat, 0.8),
    ("be waiting for you", Category::Threat, 0.6),
    ("days are numbered", Category::Threat, 0.75),
    ("days in this club are numbered", Category::Threat, 0.75),
    ("something happened to them", Category::Threat, 0.8),
    ("something happened to you", Category::Threat, 0.8),
    ("regret it", Category::Threat, 0.45),
    ("youll regret", Category::Threat, 0.75),
    ("you will regret", Category::Threat, 0.75),
    ("see what happens", Category::Threat, 0.65),
    ("what happens to you", Category::Threat, 0.7),
    ("whats coming to you", Category::Threat, 0.8),
    ("what is coming to you", Category::Threat, 0.8),
    ("wont like what happens", Category::Threat, 0.8),
    ("teach you a lesson", Category::Threat, 0.8),
    ("put you in your place", Category::Threat, 0.7),
    ("meet me outside", Category::Threat, 0.7),
    ("say it to my face", Category::Threat, 0.6),
    ("say that to my face", Category::Threat, 0.6),
    ("say that again and", Category::Threat, 0.6),
    ("make your life hell", Category::Threat, 0.85),
    ("ruin your reputation", Category::Threat, 0.7),
    ("ruin your life", Category::Threat, 0.8),
    ("you deserve to get hurt", Category::Threat, 0.85),
    ("deserve a punch", Category::Threat, 0.8),
    ("should be beaten", Category::Threat, 0.85),
    ("shut you up", Category::Threat, 0.6),
    ("beat you up", Category::Threat, 0.85),
    ("run you over", Category::Threat, 0.85),
    ("run you off the road", Category::Threat, 0.85),
    ("come to your house", Category::Threat, 0.6),
    ("tyres slashed", Category::Threat, 0.8),
    ("slash your tyres", Category::Threat, 0.85),
    ("should be exterminated", Category::Threat, 0.9),
    ("be exterminated", Category::Threat, 0.7),
    ("let her get what she deserves", Category::Threat, 0.85),
    ("leak her", Category::Threat, 0.7),
    ("leak his", Category::Threat, 0.7),
    // Incitement to self-harm and wishes of death.
    ("kill yourself", Category::SelfHarm, 0.95),
    ("kill urself", Category::SelfHarm, 0.95),
    ("kys", Category::SelfHarm, 0.95),
    ("hang yourself", Category::SelfHarm, 0.95),
    ("go die", Category::SelfHarm, 0.9),
    ("just die", Category::SelfHarm, 0.85),
    ("die already", Category::SelfHarm, 0.85),
    ("drop dead", Category::SelfHarm, 0.85),
    ("end it already", Category::SelfHarm, 0.8),
    ("jump off a bridge", Category::SelfHarm, 0.9),
    ("go play in traffic", Category::SelfHarm, 0.85),
    ("never been born", Category::SelfHarm, 0.85),
    ("better without you", Category::SelfHarm, 0.8),
    ("better if you were dead", Category::SelfHarm, 0.9),
    ("nobody would miss you", Category::SelfHarm, 0.9),
    ("no one would miss you", Category::SelfHarm, 0.9),
    ("nobody will miss you", Category::SelfHarm, 0.85),
    ("nobody would care if you", Category::SelfHarm, 0.85),
    ("unsubscribe from life", Category::SelfHarm, 0.85),
    ("rot in hell", Category::SelfHarm, 0.85),
    ("burn in hell", Category::SelfHarm, 0.85),
    ("get cancer", Category::SelfHarm, 0.85),
    ("get aids", Category::SelfHarm, 0.85),
    ("choke on", Category::SelfHarm, 0.55),
    ("you are dead", Category::Threat, 0.6),
    ("youre dead", Category::Threat, 0.6),
    // Hostile dismissal.
    ("fuck you", Category::Dismissal, 0.92),
    ("fuck u", Category::Dismissal, 0.92),
    ("fuk u", Category::Dismissal, 0.92),
    ("f u", Category::Dismissal, 0.8),
    ("fcuk you", Category::Dismissal, 0.92),
    ("fuck off", Category::Dismissal, 0.92),
    ("fck off", Category::Dismissal, 0.92),
    ("fukc off", Category::Dismissal, 0.92),
    ("eff off", Category::Dismissal, 0.75),
    ("go fuck yourself", Category::Dismissal, 0.95),
    ("get fucked", Category::Dismissal, 0.9),
    ("screw you", Category::Dismissal, 0.8),
    ("piss off", Category::Dismissal, 0.8),
    ("sod off", Category::Dismissal, 0.7),
    ("bugger off", Category::Dismissal, 0.7),
    ("naff off", Category::Dismissal, 0.7),
    ("bog off", Category::Dismissal, 0.7),
    ("clear off", Category::Dismissal, 0.55),
    ("get stuffed", Category::Dismissal, 0.7),
    ("up yours", Category::Dismissal, 0.8),
    ("bite me", Category::Dismissal, 0.55),
    ("kiss my ass", Category::Dismissal, 0.8),
    ("eat shit", Category::Dismissal, 0.9),
    ("suck my dick", Category::Dismissal, 0.92),
    ("blow me", Category::Dismissal, 0.7),
    ("go to hell", Category::Dismissal, 0.8),
    ("shut up", Category::Dismissal, 0.6),
    ("shut it", Category::Dismissal, 0.6),
    ("shut your", Category::Dismissal, 0.7),
    ("stfu", Category::Dismissal, 0.85),
    ("shut the f up", Category::Dismissal, 0.85),
    ("get lost", Category::Dismissal, 0.6),
    ("go away", Category::Dismissal, 0.45),
    ("nobody asked", Category::Dismissal, 0.65),
    ("who asked", Category::Dismissal, 0.55),
    ("nobody cares what you", Category::Dismissal, 0.75),
    ("nobody cares", Category::Dismissal, 0.4),
    ("nobody wants you", Category::Dismissal, 0.8),
    ("nobody wants to ride with", Category::Dismissal, 0.6),
    ("nobody likes you", Category::Dismissal, 0.85),
    ("nobody invited you", Category::Dismissal, 0.75),
    ("we all hate you", Category::Dismissal, 0.9),
    ("i hate you", Category::Dismissal, 0.8),
    ("i hate people like you", Category::Dismissal, 0.85),
    ("dead to me", Category::Dismissal, 0.6),
    ("delete your account", Category::Dismissal, 0.7),
    ("get a life", Category::Dismissal, 0.65),
    ("cry more", Category::Dismissal, 0.65),
    ("go cry", Category::Dismissal, 0.65),
    ("cope harder", Category::Dismissal, 0.6),
    ("seethe", Category::Dismissal, 0.55),
    ("stay mad", Category::Dismissal, 0.55),
    ("touch grass", Category::Dismissal, 0.5),
    ("get rekt", Category::Dismissal, 0.65),
    ("crawl back", Category::Dismissal, 0.75),
    ("under the rock", Category::Dismissal, 0.5),
    ("whatever hole", Category::Dismissal, 0.75),
    ("get out of this thread", Category::Dismissal, 0.6),
    ("just leave", Category::Dismissal, 0.45),
    ("quit the club", Category::Dismissal, 0.4),
    ("never come back", Category::Dismissal, 0.5),
    ("sit down and shut up", Category::Dismissal, 0.8),
    ("you suck", Category::Dismissal, 0.75),
    ("u suck", Category::Dismissal, 0.75),
    ("so do you", Category::Dismissal, 0.5),
    ("so are you", Category::Dismissal, 0.5),
    ("grow up", Category::Dismissal, 0.35),
    ("people like you", Category::Dismissal, 0.35),
    ("shouldnt be allowed to post", Category::Dismissal, 0.75),
    ("should not be allowed to post", Category::Dismissal, 0.75),
    ("you are the reason", Category::Dismissal, 0.55),
    ("youre the reason", Category::Dismissal, 0.55),
    ("go back to reddit", Category::Dismissal, 0.6),
    // Demeaning remarks.
    ("waste of space", Category::Demeaning, 0.85),
    ("waste of oxygen", Category::Demeaning, 0.85),
    ("waste of skin", Category::Demeaning, 0.85),
    ("waste of air", Category::Demeaning, 0.85),
    ("waste of a", Category::Demeaning, 0.6),
    ("excuse for a human", Category::Demeaning, 0.85),
    ("piece of trash", Category::Demeaning, 0.85),
    ("piece of shit", Category::Demeaning, 0.9),
    ("piece of work", Category::Demeaning, 0.6),
    ("sack of shit", Category::Demeaning, 0.9),
    ("brain cells", Category::Demeaning, 0.55),
    ("iq of", Category::Demeaning, 0.65),
    ("dropped on your head", Category::Demeaning, 0.85),
    ("hit his head", Category::Demeaning, 0.5),
    ("size of a pea", Category::Demeaning, 0.6),
    ("reading comprehension of", Category::Demeaning, 0.6),
    ("ashamed of you", Category::Demeaning, 0.6),
    ("you disgust me", Category::Demeaning, 0.85),
    ("makes me want to throw up", Category::Demeaning, 0.5),
    ("make me want to throw up", Category::Demeaning, 0.5),
    ("no wonder you", Category::Demeaning, 0.5),
    ("imagine being", Category::Demeaning, 0.35),
    ("bless your heart", Category::Demeaning, 0.5),
    ("oh sweetie", Category::Demeaning, 0.5),
    ("village idiot", Category::Demeaning, 0.6),
    ("found the idiot", Category::Demeaning, 0.6),
    ("king of morons", Category::Demeaning, 0.7),
    ("bunch of", Category::Demeaning, 0.1),
    ("full of idiots", Category::Demeaning, 0.6),
    ("too dumb to", Category::Demeaning, 0.6),
    ("too stupid to", Category::Demeaning, 0.6),
    ("too ugly", Category::Demeaning, 0.6),
    ("stop embarrassing yourself", Category::Demeaning, 0.6),
    ("you talk like", Category::Demeaning, 0.3),
    ("lose a few brain cells", Category::Demeaning, 0.7),
    ("basement dweller", Category::Demeaning, 0.7),
    ("your mothers basement", Category::Demeaning, 0.6),
    ("your moms basement", Category::Demeaning, 0.6),
    ("ur mom", Category::Demeaning, 0.5),
    ("your mum is", Category::Demeaning, 0.4),
    ("your whole family", Category::Demeaning, 0.4),
    ("your family must be", Category::Demeaning, 0.5),
    ("your mother should have", Category::Demeaning, 0.6),
    ("your face would", Category::Demeaning, 0.6),
    ("look like a potato", Category::Demeaning, 0.5),
    ("stop whining", Category::Demeaning, 0.45),
    ("stop being such a", Category::Demeaning, 0.4),
    ("stop being a", Category::Demeaning, 0.35),
    ("lazy bum", Category::Demeaning, 0.6),
    ("power tripping", Category::Demeaning, 0.4),
    ("powertripping", Category::Demeaning, 0.4),
    ("power hungry", Category::Demeaning, 0.4),
    ("paid troll", Category::Demeaning, 0.6),
    ("get gud", Category::Demeaning, 0.35),
    ("git gud", Category::Demeaning, 0.35),
    ("uninstall", Category::Demeaning, 0.25),
    ("cesspool", Category::Demeaning, 0.6),
    ("cesspit", Category::Demeaning, 0.6),
    ("brain damaged", Category::Demeaning, 0.6),
    ("mentally challenged", Category::Demeaning, 0.6),
    ("the stupidity of", Category::Demeaning, 0.6),
    ("dumb as a", Category::Demeaning, 0.7),
    ("thick as two", Category::Demeaning, 0.7),
    ("thick as a", Category::Demeaning, 0.6),
    ("what a loser", Category::Demeaning, 0.6),
    // Identity-based hostility.
    ("go back to your own country", Category::Identity, 0.9),
    ("your kind", Category::Identity, 0.75),
    ("you people", Category::Identity, 0.55),
    ("your race", Category::Identity, 0.7),
    ("typical woman", Category::Identity, 0.7),
    ("women shouldnt", Category::Identity, 0.75),
    ("women should just", Category::Identity, 0.7),
    ("they should just stay home", Category::Identity, 0.6),
    ("back to the kitchen", Category::Identity, 0.85),
    ("go back to the kitchen", Category::Identity, 0.85),
    ("make me a sandwich", Category::Identity, 0.8),
    ("because youre a woman", Category::Identity, 0.7),
    ("because you are a woman", Category::Identity, 0.7),
    ("too emotional", Category::Identity, 0.45),
    ("your hormones", Category::Identity, 0.6),
    ("on your period", Category::Identity, 0.8),
    ("dumb blonde", Category::Identity, 0.7),
    ("womens category is a joke", Category::Identity, 0.8),
    ("old fossil", Category::Identity, 0.6),
    ("nursing home", Category::Identity, 0.35),
    // Sexual harassment.
    ("send nudes", Category::Sexual, 0.9),
    ("send me pics", Category::Sexual, 0.75),
    ("send me photos", Category::Sexual, 0.6),
    ("hey sexy", Category::Sexual, 0.75),
    ("sexy", Category::Sexual, 0.4),
    ("babe", Category::Sexual, 0.45),
    ("cutie", Category::Sexual, 0.45),
    ("nice legs", Category::Sexual, 0.7),
    ("your body", Category::Sexual, 0.6),
    ("what are you wearing", Category::Sexual, 0.75),
    ("wore less", Category::Sexual, 0.75),
    ("wear less", Category::Sexual, 0.75),
    ("without the lycra", Category::Sexual, 0.6),
    ("if you know what i mean", Category::Sexual, 0.45),
    ("smile more", Category::Sexual, 0.55),
    ("youd be prettier", Category::Sexual, 0.6),
    ("slept with", Category::Sexual, 0.55),
    ("take no for an answer", Category::Sexual, 0.75),
    ("dm me your number", Category::Sexual, 0.6),
    ("calm down love", Category::Sexual, 0.6),
    ("sweetheart", Category::Sexual, 0.4),
    ("darling", Category::Sexual, 0.4),
    ("ride with me privately", Category::Sexual, 0.6),
];

/// Verbs of violence that make a threat when "you" is their object.
const VIOLENT_VERBS: &[&str] = &[
    "kill", "murder", "hurt", "beat", "smash", "punch", "slap", "strangle", "stab", "shoot",
    "break", "end", "hunt", "find", "burn", "choke", "run", "rape", "bash", "batter", "kick",
    "destroy", "hit", "attack", "cut", "drown", "bury",
];

/// Things a message may wish on someone ("hope you crash").
const HARM_WORDS: &[&str] = &[
    "die", "dies", "dead", "crash", "crashes", "hurt", "cancer", "aids", "sick", "burn", "burns",
    "starve", "stolen", "choke", "rot", "suffer", "bankrupt", "lose", "fired", "neck", "legs",
    "fall", "drown", "hit",
];

#[rustfmt::skip]
const SECOND_PERSON: &[&str] = &[
    "you", "u", "ya", "youre", "yourself", "yourselves", "yall", "ur", "thou", "youve", "youd",
    "youll",
];
const FIRST_PERSON: &[&str] = &["i", "im", "ive", "id", "ill", "we", "imma", "gonna"];
const SELF_REFERENCE: &[&str] = &["i", "im", "ive", "me", "myself", "id"];
#[rustfmt::skip]
const THIRD_PERSON: &[&str] = &[
    "he", "she", "hes", "shes", "they", "theyre", "him", "her", "guy", "person", "admin", "mod",
    "mods", "moderator", "moderators", "organiser", "organizer", "dev", "devs", "developer",
    "developers", "maintainer", "ceo", "treasurer", "whoever", "everyone", "member", "captain",
    "leader", "team", "people", "woman", "man", "girl", "boy",
];
const NEGATORS: &[&str] = &[
    "not", "never", "no", "nobody", "noone", "nothing", "isnt", "arent", "wasnt", "werent", "dont",
    "doesnt", "didnt", "wont", "wouldnt", "cant", "cannot", "aint", "hardly", "nor", "neither",
    "without",
];
#[rustfmt::skip]
const REPORTING: &[&str] = &[
    "called", "calling", "reported", "reporting", "report", "flagged", "allowed", "harassment",
    "complain", "complaint", "shouted", "yelled", "removed", "muted", "banned", "warned",
    "screenshot", "police", "hurtful", "quoting", "tolerated", "suspended",
];
const MITIGATORS: &[&str] = &[
    "kidding", "joking", "jk", "legend", "love", "epic", "haha", "hahaha",
];
#[rustfmt::skip]
const INTENSIFIERS: &[&str] = &[
    "so", "such", "a", "an", "the", "really", "very", "too", "just", "absolutely", "truly",
    "complete", "total", "utter", "absolute", "fucking", "fuckin", "bloody", "massive", "big",
    "little", "stupid", "dumb", "pathetic", "as",
];

/// Words a run of spaced single letters is cut into ("y o u a r e" → you are).
const SEGMENT_EXTRA: &[&str] = &[
    "you", "your", "are", "a", "an", "u", "r", "so", "such", "go", "off", "up", "shut", "die",
    "kill", "yourself", "fuck", "is",
];

struct Lexicon {
    words: HashMap<String, WordCue>,
    /// Uncollapsed entries, for matching masked tokens like `sh*t`.
    plain_words: Vec<WordCue>,
    phrases: HashMap<String, Vec<Phrase>>,
    benign_phrases: Vec<Vec<String>>,
    segment_vocabulary: Vec<String>,
    violent_verbs: HashMap<String, &'static str>,
    harm_words: HashSet<String>,
    second_person: HashSet<String>,
    first_person: HashSet<String>,
    self_reference: HashSet<String>,
    third_person: HashSet<String>,
    negators: HashSet<String>,
    reporting: HashSet<String>,
    mitigators: HashSet<String>,
    intensifiers: HashSet<String>,
    benign_before: HashSet<(String, String)>,
    benign_after: HashSet<(String, String)>,
}

fn canonical(word: &str) -> String {
    let mut out = String::new();
    normalise_token(word, &mut out);
    out
}

fn canonical_set(words: &[&str]) -> HashSet<String> {
    words.iter().map(|word| canonical(word)).collect()
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut words = HashMap::new();
        let mut plain_words = Vec::new();
        let mut add = |entry: &'static str, class: WordClass| {
            let cue = WordCue { entry, class };
            words.insert(canonical(entry), cue);
            plain_words.push(cue);
        };
        for entry in SLURS {
            add(entry, WordClass::Slur);
        }
        for entry in STRONG_NOUNS {
            add(entry, WordClass::StrongNoun);
        }
        for entry in NOUNS {
            add(entry, WordClass::Noun);
        }
        for entry in AMBIGUOUS_NOUNS {
            add(entry, WordClass::AmbiguousNoun);
        }
        for entry in ADJECTIVES {
            add(entry, WordClass::Adjective);
        }
        for (entry, weight) in PROFANITY {
            add(entry, WordClass::Profanity(*weight));
        }
        let mut phrases: HashMap<String, Vec<Phrase>> = HashMap::new();
        for (text, category, weight) in PHRASES {
            let tokens: Vec<String> = text.split(' ').map(canonical).collect();
            let known = phrases
                .get(&tokens[0])
                .is_some_and(|list| list.iter().any(|phrase| phrase.tokens == tokens));
            if known {
                continue;
            }
            phrases.entry(tokens[0].clone()).or_default().push(Phrase {
                tokens,
                entry: text,
                category: *category,
                weight: *weight,
            });
        }
        let mut segment_vocabulary: Vec<String> = words
            .keys()
            .filter(|word| word.len() >= 3)
            .cloned()
            .chain(SEGMENT_EXTRA.iter().map(|word| canonical(word)))
            .collect();
        segment_vocabulary.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        segment_vocabulary.dedup();
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(a, b)| (canonical(a), canonical(b)))
                .collect()
        };
        Lexicon {
            benign_phrases: BENIGN_PHRASES
                .iter()
                .map(|text| text.split(' ').map(canonical).collect())
                .collect(),
            words,
            plain_words,
            phrases,
            segment_vocabulary,
            violent_verbs: VIOLENT_VERBS
                .iter()
                .map(|verb| (canonical(verb), *verb))
                .collect(),
            harm_words: canonical_set(HARM_WORDS),
            second_person: canonical_set(SECOND_PERSON),
            first_person: canonical_set(FIRST_PERSON),
            self_reference: canonical_set(SELF_REFERENCE),
            third_person: canonical_set(THIRD_PERSON),
            negators: canonical_set(NEGATORS),
            reporting: canonical_set(REPORTING),
            mitigators: canonical_set(MITIGATORS),
            intensifiers: canonical_set(INTENSIFIERS),
            benign_before: pairs(BENIGN_BEFORE),
            benign_after: pairs(BENIGN_AFTER),
        }
    })
}

// ---------------------------------------------------------------------------
// Normalisation and tokens
// ---------------------------------------------------------------------------

/// Folds look-alike and accented characters to lower-case ASCII where cheap;
/// `None` drops the character (zero-width and soft hyphen).
fn fold_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    let folded = match c {
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => return None,
        // Full-width ASCII.
        '\u{FF01}'..='\u{FF5E}' => {
            let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            return Some(ascii.to_ascii_lowercase());
        }
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        'ý' | 'ÿ' | 'Ý' => 'y',
        // Cyrillic look-alikes.
        'а' | 'А' => 'a',
        'е' | 'Е' | 'ё' => 'e',
        'о' | 'О' => 'o',
        'р' | 'Р' => 'p',
        'с' | 'С' => 'c',
        'у' | 'У' => 'y',
        'х' | 'Х' => 'x',
        'к' | 'К' => 'k',
        'м' | 'М' => 'm',
        'т' | 'Т' => 't',
        'н' | 'Н' => 'h',
        'в' | 'В' => 'b',
        'і' | 'І' => 'i',
        // Greek look-alikes.
        'α' | 'Α' => 'a',
        'ε' | 'Ε' => 'e',
        'ο' | 'Ο' => 'o',
        'ι' | 'Ι' => 'i',
        'κ' | 'Κ' => 'k',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' => 'u',
        'ν' | 'Ν' => 'v',
        'ρ' | 'Ρ' => 'p',
        // Typographic quotes and dashes.
        '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' => '-',
        _ => return Some(c.to_lowercase().next().unwrap_or(c)),
    };
    Some(folded)
}

/// Reads one whitespace-free piece of folded text as a word: l33t read as
/// letters, punctuation inside dropped, `*` kept as a wildcard, repeated
/// letters collapsed. Appends to `out`.
fn normalise_token(raw: &str, out: &mut String) {
    let chars: Vec<char> = raw.chars().collect();
    let has_letter = chars.iter().any(|c| c.is_alphabetic());
    let mut last: Option<char> = None;
    for (index, &c) in chars.iter().enumerate() {
        let letter_follows = chars[index + 1..].iter().any(|c| c.is_alphabetic());
        let letter_precedes = chars[..index].iter().any(|c| c.is_alphabetic());
        let mapped = if c.is_alphabetic() {
            Some(c)
        } else if has_letter {
            match c {
                '0' => Some('o'),
                '1' => Some('i'),
                '3' => Some('e'),
                '4' => Some('a'),
                '5' => Some('s'),
                '7' => Some('t'),
                '@' => Some('a'),
                '$' => Some('s'),
                '!' | '|' if letter_follows => Some('i'),
                '*' if letter_follows || letter_precedes => Some('*'),
                _ => None,
            }
        } else {
            None
        };
        if let Some(c) = mapped {
            if c != '*' && last == Some(c) {
                continue;
            }
            out.push(c);
            last = Some(c);
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    word: String,
    sentence: u32,
    clause: u32,
    quoted: bool,
}

/// Splits folded text into normalised word tokens with sentence and clause
/// numbers, whether they sit inside double quotes, and joins runs of spaced
/// single letters.
fn tokenise(text: &str) -> Vec<Token> {
    let mut folded = String::with_capacity(text.len().min(MAX_CHARS * 2));
    for c in text.chars().take(MAX_CHARS) {
        if let Some(c) = fold_char(c) {
            folded.push(c);
        }
    }

    let mut tokens: Vec<Token> = Vec::new();
    // Indices into `tokens` of the current run of single letters.
    let mut run_start: Option<usize> = None;
    let mut sentence = 0u32;
    let mut clause = 0u32;
    let mut quoted = false;
    let mut piece = String::new();
    let mut spaces_before = 0usize;

    let flush_run = |tokens: &mut Vec<Token>, run_start: &mut Option<usize>| {
        if let Some(start) = run_start.take()
            && tokens.len() - start >= 3
        {
            let joined: String = tokens[start..].iter().map(|t| t.word.as_str()).collect();
            let template = tokens[start].clone();
            tokens.truncate(start);
            for word in segment(&joined) {
                tokens.push(Token {
                    word,
                    ..template.clone()
                });
            }
        }
    };

    let mut chars = folded.chars().peekable();
    loop {
        let c = chars.next();
        let is_separator = match c {
            None => true,
            Some(c) => {
                c.is_whitespace()
                    || matches!(
                        c,
                        ',' | ';' | ':' | '?' | '(' | ')' | '[' | ']' | '"' | '/' | '…'
                    )
            }
        };
        if !is_separator {
            if let Some(c) = c {
                piece.push(c);
            }
            continue;
        }
        // End of a piece.
        if !piece.is_empty() {
            let ends_sentence = piece.ends_with(['.', '!']);
            let mut word = String::new();
            normalise_token(&piece, &mut word);
            // "*sigh*" is emphasis; "f***" is a masked word.
            let mut word = if word.starts_with('*') && word.ends_with('*') {
                word.trim_matches('*').to_owned()
            } else {
                word
            };
            if word.contains('*') {
                // "sh*t", "f***ing": read as the lexicon word they mask.
                if let Some(cue) = lexicon()
                    .plain_words
                    .iter()
                    .find(|cue| masked_match(&word, cue.entry))
                {
                    word = canonical(cue.entry);
                }
            }
            if !word.is_empty() {
                let single = word.chars().count() == 1 && word != "*";
                if !single || spaces_before > 1 {
                    flush_run(&mut tokens, &mut run_start);
                }
                if single && run_start.is_none() {
                    run_start = Some(tokens.len());
                }
                tokens.push(Token {
                    word,
                    sentence,
                    clause,
                    quoted,
                });
                if !single {
                    run_start = None;
                }
            }
            if ends_sentence {
                flush_run(&mut tokens, &mut run_start);
                sentence += 1;
                clause += 1;
            }
            piece.clear();
            spaces_before = 0;
        }
        match c {
            None => break,
            Some(c) if c.is_whitespace() => spaces_before += 1,
            Some('"') => {
                quoted = !quoted;
                flush_run(&mut tokens, &mut run_start);
            }
            Some('?') => {
                flush_run(&mut tokens, &mut run_start);
                sentence += 1;
                clause += 1;
            }
            Some(_) => {
                flush_run(&mut tokens, &mut run_start);
                clause += 1;
            }
        }
    }
    flush_run(&mut tokens, &mut run_start);
    tokens
}

/// Cuts a run of joined single letters into known words, greedily, longest first.
fn segment(joined: &str) -> Vec<String> {
    let lexicon = lexicon();
    let mut words = Vec::new();
    let mut rest = joined;
    let mut unknown = String::new();
    while !rest.is_empty() {
        let found = lexicon
            .segment_vocabulary
            .iter()
            .find(|word| rest.starts_with(word.as_str()));
        match found {
            Some(word) => {
                if !unknown.is_empty() {
                    words.push(std::mem::take(&mut unknown));
                }
                words.push(word.clone());
                rest = &rest[word.len()..];
            }
            None => {
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    unknown.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    if !unknown.is_empty() {
        words.push(unknown);
    }
    words
}

// ---------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------

struct Cue {
    weight: f32,
    reason: String,
}

impl Lexicon {
    /// The insult or profanity a token stands for, and whether it was plural.
    fn word_cue(&self, word: &str) -> Option<(WordCue, bool)> {
        if word.contains('*') {
            return self
                .plain_words
                .iter()
                .find(|cue| masked_match(word, cue.entry))
                .map(|cue| (*cue, false));
        }
        if let Some(cue) = self.words.get(word) {
            return Some((*cue, false));
        }
        for suffix in ["s", "es"] {
            if let Some(stem) = word.strip_suffix(suffix)
                && stem.len() >= 3
                && let Some(cue) = self.words.get(stem)
                && !matches!(cue.class, WordClass::Adjective | WordClass::Profanity(_))
            {
                return Some((*cue, true));
            }
        }
        None
    }
}

fn masked_match(masked: &str, entry: &str) -> bool {
    masked.len() == entry.len()
        && masked.chars().filter(|c| *c != '*').count() >= 1
        && masked
            .chars()
            .zip(entry.chars())
            .all(|(m, e)| m == '*' || m == e)
}

fn mask(entry: &str) -> String {
    entry
        .chars()
        .enumerate()
        .map(|(index, c)| if index == 1 { '*' } else { c })
        .collect()
}

/// Scores a text: 0.0 for nothing found up to 1.0; see the module docs.
pub fn score(text: &str) -> Toxicity {
    let lexicon = lexicon();
    let text = prose(text);
    let tokens = tokenise(&text);
    let mut cues: Vec<Cue> = Vec::new();

    let reporting_at: Vec<usize> = (0..tokens.len())
        .filter(|&i| lexicon.reporting.contains(&tokens[i].word))
        .collect();
    let any_reporting = !reporting_at.is_empty();
    let any_mitigator = tokens.iter().any(|t| lexicon.mitigators.contains(&t.word));
    let n_words = tokens.len();

    // A bare "die" or "just die".
    if n_words <= 2 && tokens.iter().any(|t| t.word == "die") {
        cues.push(Cue {
            weight: 0.8,
            reason: format!("{}: \"die\"", Category::SelfHarm.label()),
        });
    }

    let mut in_benign_phrase = vec![false; tokens.len()];
    for index in 0..tokens.len() {
        for phrase in &lexicon.benign_phrases {
            let end = index + phrase.len();
            if end <= tokens.len()
                && tokens[index..end]
                    .iter()
                    .zip(phrase)
                    .all(|(t, p)| t.word == *p)
            {
                in_benign_phrase[index..end].fill(true);
            }
        }
    }

    for (index, token) in tokens.iter().enumerate() {
        if in_benign_phrase[index] {
            continue;
        }
        let word = token.word.as_str();

        // Phrases starting here.
        if let Some(phrases) = lexicon.phrases.get(word) {
            for phrase in phrases {
                let end = index + phrase.tokens.len();
                if end <= tokens.len()
                    && tokens[index..end]
                        .iter()
                        .zip(&phrase.tokens)
                        .all(|(t, p)| t.word == *p)
                {
                    let mut weight = phrase.weight;
                    if negated_before(&tokens, index, lexicon) {
                        weight *= 0.25;
                    }
                    let reported = reporting_at.iter().any(|i| !(index..end).contains(i));
                    if token.quoted {
                        weight *= 0.35;
                    } else if reported {
                        weight *= 0.5;
                    }
                    cues.push(Cue {
                        weight,
                        reason: format!("{}: \"{}\"", phrase.category.label(), phrase.entry),
                    });
                }
            }
        }

        // A violent verb with "you" as its object.
        let object = (index + 1..(index + 3).min(tokens.len())).find(|&j| {
            tokens[j].sentence == token.sentence
                && (lexicon.second_person.contains(&tokens[j].word) || tokens[j].word == "your")
        });
        if lexicon.violent_verbs.contains_key(word)
            && let Some(object) = object
        {
            let object_is_reflexive = tokens[object].word == "yourself";
            let window = index.saturating_sub(5)..index;
            let first_person_subject = tokens[window.clone()]
                .iter()
                .any(|t| t.sentence == token.sentence && lexicon.first_person.contains(&t.word));
            let wish = tokens[window].iter().any(|t| {
                t.sentence == token.sentence
                    && matches!(
                        t.word.as_str(),
                        "should" | "hope" | "someone" | "somebody" | "wil" | "gona"
                    )
            });
            let weak_verb = matches!(
                word,
                "find" | "hit" | "run" | "end" | "break" | "destroy" | "kick" | "cut" | "beat"
            );
            let mut weight: f32 = match (first_person_subject || wish, weak_verb) {
                (true, false) => 0.9,
                (false, false) => 0.55,
                (true, true) => 0.35,
                (false, true) => 0.1,
            };
            if object_is_reflexive {
                weight = 0.0; // "kill yourself" is a phrase of its own.
            }
            if negated_before(&tokens, index, lexicon) {
                weight *= 0.2;
            }
            if token.quoted {
                weight *= 0.35;
            } else if any_reporting {
                weight *= 0.45;
            }
            if weight > 0.05 {
                cues.push(Cue {
                    weight,
                    reason: format!(
                        "threat of violence: \"{} {}\"",
                        lexicon.violent_verbs.get(word).copied().unwrap_or(word),
                        tokens[object].word
                    ),
                });
            }
        }

        // A wish of harm: "hope you crash", "may you choke".
        if word == "hope"
            || (word == "may" && tokens.get(index + 1).is_some_and(|t| t.word == "you"))
        {
            let aimed = tokens
                .get(index + 1)
                .is_some_and(|t| t.word == "you" || t.word == "your" || t.word == "ur");
            if aimed {
                let harm = tokens[index + 1..(index + 7).min(tokens.len())]
                    .iter()
                    .find(|t| t.sentence == token.sentence && lexicon.harm_words.contains(&t.word));
                if let Some(harm) = harm {
                    let mut weight = 0.85;
                    if negated_before(&tokens, index, lexicon) {
                        weight *= 0.3;
                    }
                    if token.quoted || any_reporting {
                        weight *= 0.45;
                    }
                    cues.push(Cue {
                        weight,
                        reason: format!("wish of harm: \"hope ... {}\"", harm.word),
                    });
                }
            }
        }

        // Insults and profanity.
        let Some((cue, plural)) = lexicon.word_cue(word) else {
            continue;
        };
        if benign_neighbour(&tokens, index, lexicon) {
            continue;
        }
        let target = target_of(&tokens, index, lexicon, n_words, cue.class);
        let (mut weight, aimed) = match (cue.class, target) {
            (WordClass::Profanity(weight), _) => (weight, false),
            (WordClass::Slur, _) => (0.9, true),
            (WordClass::StrongNoun, Target::Person | Target::Own) => (0.9, true),
            (WordClass::StrongNoun, Target::ThirdPerson) => (0.8, true),
            (WordClass::StrongNoun, Target::None) => (if plural { 0.6 } else { 0.5 }, false),
            (WordClass::Noun, Target::Person | Target::Own) => (0.85, true),
            (WordClass::Noun, Target::ThirdPerson) => (0.6, true),
            (WordClass::Noun, Target::None) => (if plural { 0.35 } else { 0.3 }, false),
            (WordClass::AmbiguousNoun, Target::Person | Target::Own) => (0.7, true),
            (WordClass::AmbiguousNoun, Target::ThirdPerson) => (0.25, true),
            (WordClass::AmbiguousNoun, Target::None) => (0.05, false),
            (WordClass::Adjective, Target::Person | Target::Own) => (0.75, true),
            (WordClass::Adjective, Target::ThirdPerson) => (0.45, true),
            (WordClass::Adjective, Target::None) => (0.1, false),
        };
        if !matches!(cue.class, WordClass::Profanity(_)) {
            if negated_before(&tokens, index, lexicon) {
                weight *= 0.2;
            }
            if target == Target::Own {
                weight *= 0.15;
            }
            if token.quoted {
                weight *= 0.3;
            } else if any_reporting && target != Target::Person {
                weight *= 0.4;
            }
            if any_mitigator {
                weight *= 0.5;
            }
        }
        let shown = if cue.class == WordClass::Slur {
            mask(cue.entry)
        } else {
            cue.entry.to_owned()
        };
        let reason = match cue.class {
            WordClass::Slur => format!("slur: \"{shown}\""),
            WordClass::Profanity(_) => format!("profanity: \"{shown}\""),
            _ if aimed && weight >= 0.3 => format!("insult aimed at a person: \"{shown}\""),
            _ => format!("insult: \"{shown}\""),
        };
        cues.push(Cue { weight, reason });
    }

    combine(cues)
}

/// The prose of a post: code (fenced blocks and inline spans), HTML tags
/// and links are markup, not words addressed to anyone (`<div>` is not an
/// insult), so they are replaced by a space before scoring.
fn prose(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['`', '<']) && !text.contains("://") && !text.contains("www.") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let skip_to = |rest: &str, from: usize, end: &str| -> usize {
        rest.get(from..)
            .and_then(|tail| tail.find(end))
            .map_or(rest.len(), |at| from + at + end.len())
    };
    while let Some(c) = rest.chars().next() {
        let consumed = if rest.starts_with("```") {
            skip_to(rest, 3, "```")
        } else if c == '`' {
            skip_to(rest, 1, "`")
        } else if c == '<'
            && rest[1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/' || n == '!')
            && rest.find('>').is_some_and(|end| end < 500)
        {
            skip_to(rest, 1, ">")
        } else if rest.starts_with("http://")
            || rest.starts_with("https://")
            || rest.starts_with("www.")
        {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        out.push(' ');
        rest = &rest[consumed..];
    }
    std::borrow::Cow::Owned(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// "you", a vocative, or a bare insult.
    Person,
    /// "he is", "the admin is".
    ThirdPerson,
    /// "I'm such an idiot".
    Own,
    None,
}

fn target_of(
    tokens: &[Token],
    index: usize,
    lexicon: &Lexicon,
    n_words: usize,
    class: WordClass,
) -> Target {
    let token = &tokens[index];
    let is_adjective = class == WordClass::Adjective;
    let clause_start = tokens
        .iter()
        .position(|t| t.clause == token.clause)
        .unwrap_or(index);
    let clause_len = tokens.iter().filter(|t| t.clause == token.clause).count();
    let is_filler = |w: &str| {
        lexicon.intensifiers.contains(w)
            || lexicon
                .words
                .get(w)
                .is_some_and(|cue| cue.class == WordClass::Adjective)
    };
    let leading: Vec<&str> = tokens[clause_start..index]
        .iter()
        .map(|t| t.word.as_str())
        .filter(|w| !is_filler(w))
        .collect();

    // Bare insults ("moron.", "IDIOT") and vocatives ("shut up, clown").
    if n_words <= 3 || (!is_adjective && clause_len <= 3 && leading.is_empty()) {
        return Target::Person;
    }
    // "what a moron", "what an arrogant jerk".
    if !is_adjective && leading == ["what"] {
        return Target::Person;
    }
    let second_person_after = tokens[index + 1..(index + 5).min(tokens.len())]
        .iter()
        .any(|t| t.clause == token.clause && lexicon.second_person.contains(&t.word));

    // The nearest person word before the insult decides.
    let before = &tokens[index.saturating_sub(6)..index];
    for (offset, t) in before
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, t)| t.sentence == token.sentence)
    {
        let w = t.word.as_str();
        if lexicon.second_person.contains(w) {
            return Target::Person;
        }
        if w == "your" {
            // "your an idiot", "your so dumb" mean "you're"; "your stupid event" does not.
            let next = before
                .get(offset + 1)
                .map(|t| t.word.as_str())
                .unwrap_or(token.word.as_str());
            if matches!(
                next,
                "a" | "an" | "so" | "such" | "the" | "realy" | "just" | "to" | "absolutely"
            ) || (!is_adjective && offset + 1 == before.len())
            {
                return Target::Person;
            }
            continue;
        }
        if lexicon.self_reference.contains(w) {
            return if second_person_after {
                Target::Person
            } else {
                Target::Own
            };
        }
        if lexicon.third_person.contains(w) {
            return Target::ThirdPerson;
        }
    }
    // "stupid me", "silly me".
    if tokens
        .get(index + 1)
        .is_some_and(|t| t.sentence == token.sentence && t.word == "me")
    {
        return Target::Own;
    }
    // "is there a dumber person alive than you?", "moron, you know nothing".
    if second_person_after {
        return Target::Person;
    }
    // "the admin is a clown", "remove this clown".
    if !is_adjective {
        let previous = tokens[clause_start..index]
            .iter()
            .rev()
            .map(|t| t.word.as_str())
            .find(|w| !is_filler(w));
        if previous.is_some_and(|w| matches!(w, "is" | "are" | "was" | "were" | "this" | "that")) {
            return Target::ThirdPerson;
        }
    }
    Target::None
}

fn negated_before(tokens: &[Token], index: usize, lexicon: &Lexicon) -> bool {
    let token = &tokens[index];
    tokens[index.saturating_sub(5)..index]
        .iter()
        .any(|t| t.clause == token.clause && lexicon.negators.contains(&t.word))
}

fn benign_neighbour(tokens: &[Token], index: usize, lexicon: &Lexicon) -> bool {
    let word = &tokens[index].word;
    // The word before, skipping an article: "as a joke".
    let before = tokens[..index]
        .iter()
        .rev()
        .find(|t| !matches!(t.word.as_str(), "a" | "an" | "the"))
        .map(|t| (t.word.clone(), word.clone()));
    let after = tokens
        .get(index + 1)
        .map(|t| (word.clone(), t.word.clone()));
    before.is_some_and(|pair| lexicon.benign_before.contains(&pair))
        || after.is_some_and(|pair| lexicon.benign_after.contains(&pair))
}

fn combine(mut cues: Vec<Cue>) -> Toxicity {
    cues.retain(|cue| cue.weight > 0.0);
    let mut keep_probability = 1.0f32;
    for cue in &cues {
        keep_probability *= 1.0 - cue.weight.clamp(0.0, 1.0);
    }
    cues.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let mut reasons: Vec<String> = Vec::new();
    for cue in cues {
        if reasons.len() == MAX_REASONS {
            break;
        }
        if cue.weight >= 0.1 && !reasons.contains(&cue.reason) {
            reasons.push(cue.reason);
        }
    }
    Toxicity {
        score: (1.0 - keep_probability).clamp(0.0, 1.0),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_code_and_links_are_not_words() {
        assert_eq!(
            super::prose("a <div onmouseover=\"x\">b</div> `idiot()` c"),
            "a  b    c"
        );
        assert_eq!(super::prose("see https://x.example/moron now"), "see   now");
        assert!(super::score("<div onmouseover=\"alert(1)\">hover</div>").score < HOLD_THRESHOLD);
        assert!(
            super::score("Run `kill -9` then read www.example.com/idiot-proof-guide").score
                < HOLD_THRESHOLD
        );
        assert!(
            super::score("you are an <b>idiot</b>").score >= HOLD_THRESHOLD,
            "tags around an insult still count"
        );
    }

    use super::*;

    /// The figures measured on the held-out split when the model was frozen,
    /// minus a small margin: the test fails if the model regresses.
    const HELD_OUT_MIN_PRECISION: f64 = PRECISION_MEASURED - 0.03;
    const HELD_OUT_MIN_RECALL: f64 = RECALL_MEASURED - 0.03;
    const PRECISION_MEASURED: f64 = 0.983;
    const RECALL_MEASURED: f64 = 0.928;

    fn s(text: &str) -> f32 {
        score(text).score
    }

    fn report(name: &str, samples: &[(&str, bool)]) -> Evaluation {
        let evaluation = evaluate(samples, HOLD_THRESHOLD);
        println!(
            "{name}: n={} tp={} fp={} fn={} tn={} precision={:.3} recall={:.3} f1={:.3}",
            evaluation.n,
            evaluation.true_positives,
            evaluation.false_positives,
            evaluation.false_negatives,
            evaluation.true_negatives,
            evaluation.precision(),
            evaluation.recall(),
            evaluation.f1()
        );
        evaluation
    }

    #[test]
    fn toxicity_labelled_set_is_large_and_has_both_labels() {
        let all = labelled_set();
        assert!(all.len() >= 1_000, "only {} texts", all.len());
        let n_toxic = all.iter().filter(|(_, toxic)| *toxic).count();
        assert!(n_toxic > 300 && all.len() - n_toxic > 300);
        assert_eq!(dev_set().len() + held_out_set().len(), all.len());
        assert!(held_out_set().len() * 3 > all.len());
        assert!(all.iter().all(|(text, _)| !text.trim().is_empty()));
    }

    #[test]
    fn toxicity_known_examples_fall_on_the_right_side() {
        let toxic = [
            "you are an idiot",
            "You're a pathetic loser and everyone here knows it",
            "shut up, clown",
            "I'm going to kill you",
            "go kill yourself",
            "I know where you live",
            "fuck off",
            "what a moron",
            "people like you shouldn't be allowed to post here",
            "send nudes",
            "hope you crash on the descent",
        ];
        let benign = [
            "this bug is killing me",
            "kill the process and restart it",
            "the idiot box is what my grandma called TV",
            "someone called me an idiot, is that allowed?",
            "you're not stupid, the docs are confusing",
            "that ride was f***ing amazing",
            "I'm such an idiot, I forgot my helmet",
            "That climb nearly killed me but it was worth it",
            "Great ride this morning, thanks everyone!",
            "Is it a stupid question to ask where the route file is?",
            "Shut up and take my money!",
            "I'm going to beat you to the café!",
            "Go away for the weekend, you deserve it",
            "I'll get you a coffee at the stop",
            "",
        ];
        for text in toxic {
            let result = score(text);
            assert!(result.score >= HOLD_THRESHOLD, "{text:?} scored {result:?}");
            assert!(!result.reasons.is_empty() && result.reasons.len() <= MAX_REASONS);
        }
        for text in benign {
            let result = score(text);
            assert!(result.score < HOLD_THRESHOLD, "{text:?} scored {result:?}");
        }
    }

    #[test]
    fn toxicity_targeted_insults_outscore_benign_uses() {
        assert!(s("you are an idiot") > s("the idiot box is what my grandma called TV") + 0.4);
        assert!(s("you're stupid") > s("you're not stupid") + 0.4);
        assert!(s("I will kill you") > s("kill the process") + 0.5);
        assert!(s("you are a moron") > s("I felt like a moron") + 0.4);
        assert!(s("you're an idiot") > s("someone called me an idiot, is that allowed?") + 0.4);
    }

    #[test]
    fn toxicity_obfuscated_variants_score_like_the_plain_text() {
        let plain = s("you are an idiot");
        for variant in [
            "YOU ARE AN IDIOT",
            "you are an 1d10t",
            "you are an idiooooot",
            "you are an i.d.i.o.t",
            "you are an i-d-i-o-t",
            "you are an id*ot",
            "you are an i d i o t",
            "y o u  a r e  a n  i d i o t",
            "you are an \u{0456}d\u{0456}\u{043E}t",
            "you are an ｉｄｉｏｔ",
            "you are an id\u{200B}iot",
            "yоu аrе аn іdіоt",
            "you are an îdíøt",
        ] {
            let score = s(variant);
            assert!(
                (score - plain).abs() < 0.1,
                "{variant:?} scored {score}, plain {plain}"
            );
        }
        assert!(s("st00pid m0r0n") >= HOLD_THRESHOLD);
        assert!(s("f*** you") >= HOLD_THRESHOLD);
        assert!(s("y0u 4r3 4 l0s3r") >= HOLD_THRESHOLD);
        assert!(s("you a$$hole") >= HOLD_THRESHOLD);
        assert!(s("you're a b!tch") >= HOLD_THRESHOLD);
    }

    #[test]
    fn toxicity_reasons_name_the_cue() {
        let result = score("you are an idiot");
        assert_eq!(
            result.reasons,
            vec!["insult aimed at a person: \"idiot\"".to_owned()]
        );
        assert!(score("").reasons.is_empty());
        assert_eq!(score("").score, 0.0);
    }

    #[test]
    fn toxicity_is_deterministic_and_bounded_on_long_input() {
        let long = "you are an idiot and ".repeat(10_000);
        let first = score(&long);
        assert_eq!(first, score(&long));
        assert!((0.0..=1.0).contains(&first.score));
        assert!(first.reasons.len() <= MAX_REASONS);
        // Nothing past MAX_CHARS is read.
        let hidden = format!("{}{}", "a ".repeat(MAX_CHARS), "you are an idiot");
        assert_eq!(s(&hidden), 0.0);
    }

    #[test]
    fn toxicity_precision_and_recall_hold_on_both_splits() {
        let dev = dev_set();
        for (text, toxic) in &dev {
            let result = score(text);
            if (result.score >= HOLD_THRESHOLD) != *toxic {
                println!(
                    "dev {} {:.2} {text} {:?}",
                    if *toxic { "missed" } else { "false alarm" },
                    result.score,
                    result.reasons
                );
            }
        }
        let dev = report("dev", &dev);
        let held_out = report("held-out", &held_out_set());
        report("all", &labelled_set());
        for threshold in [0.3, 0.4, 0.6, 0.7] {
            let at = evaluate(&held_out_set(), threshold);
            println!(
                "held-out at {threshold}: precision={:.3} recall={:.3}",
                at.precision(),
                at.recall()
            );
        }
        // Measured on dev when the model was frozen: precision 1.000, recall 0.949.
        assert!(dev.precision() >= 0.97 && dev.recall() >= 0.92);
        assert!(
            held_out.precision() >= HELD_OUT_MIN_PRECISION,
            "held-out precision {:.3}",
            held_out.precision()
        );
        assert!(
            held_out.recall() >= HELD_OUT_MIN_RECALL,
            "held-out recall {:.3}",
            held_out.recall()
        );
    }

    /// `cargo test -p agora-core --release toxicity_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, meaningful only in release mode"]
    fn toxicity_throughput() {
        let texts: Vec<&str> = labelled_set().into_iter().map(|(text, _)| text).collect();
        let _ = score("warm up");
        let rounds = 100;
        let started = std::time::Instant::now();
        let mut total = 0.0f32;
        for _ in 0..rounds {
            for text in &texts {
                total += score(text).score;
            }
        }
        let elapsed = started.elapsed();
        let per_second = (rounds * texts.len()) as f64 / elapsed.as_secs_f64();
        println!("{per_second:.0} texts/s single-threaded ({total:.0})");
    }
}

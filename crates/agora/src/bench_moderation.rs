//! `agora bench moderation`: how fast one message is checked against a
//! workspace's auto-moderation rules (1,000 by default: word lists and
//! regular expressions of realistic shape) and the local toxicity score, and
//! how precise and complete that score is on the labelled set kept in the
//! repository. Pure CPU, single-threaded: no database, no server.

use std::time::{Duration, Instant};

use agora_core::Timestamp;
use agora_core::automod::{self, Matcher, Rule, RuleAction, RuleSet};
use agora_core::toxicity;
use clap::Args;

#[derive(Debug, Args)]
pub struct ModerationBenchArgs {
    /// How many auto-moderation rules the workspace has.
    #[arg(long, default_value_t = 1_000)]
    pub rules: usize,
    /// How long to run each measurement, in seconds.
    #[arg(long, default_value_t = 3)]
    pub seconds: u64,
}

/// A pseudo-word that no real text contains, so rules rarely match (as in
/// life: most posts break no rule).
fn word(i: usize) -> String {
    let syllables = [
        "ka", "zu", "mo", "rex", "vil", "tor", "qua", "nib", "dro", "sef",
    ];
    let mut n = i + 7;
    let mut out = String::new();
    for _ in 0..3 {
        out.push_str(syllables[n % syllables.len()]);
        n /= syllables.len();
    }
    format!("{out}{}", i % 97)
}

/// Rules of realistic shape: seven in ten are word lists (five words or
/// phrases each, some with a `*` ending), three in ten regular expressions
/// (links to a domain, "buy cheap X", numbers glued to words, phone-like
/// runs, and a few "catastrophic" nested repetitions).
fn rules(n: usize) -> Vec<Rule> {
    // A few rules of words real posts use, so that some messages match.
    const REAL: [&str; 10] = [
        "idiot, moron",
        "stupid*",
        "crypto*, forex",
        "buy now",
        "free money",
        "whatsapp, telegram",
        "shut up",
        "spam*",
        "loser",
        "dm me",
    ];
    (0..n)
        .map(|i| {
            let (matcher, pattern) = if i < REAL.len() {
                (Matcher::Words, REAL[i].to_owned())
            } else if i % 10 < 7 {
                let words: Vec<String> = (0..5)
                    .map(|k| {
                        let w = word(i * 5 + k);
                        match k {
                            0 => format!("{w}*"),
                            1 => format!("{w} {}", word(i + 1_000)),
                            _ => w,
                        }
                    })
                    .collect();
                (Matcher::Words, words.join(", "))
            } else {
                let w = word(i);
                let pattern = match i % 5 {
                    0 => format!(r"(?:https?://)?(?:www\.)?{w}\.(?:com|net|shop)/\S*"),
                    1 => format!(r"\b(?:buy|cheap|discount)\s+{w}s?\b"),
                    2 => format!(r"\b{w}\d{{2,4}}\b"),
                    3 => format!(r"\+?\d[\d\s-]{{8,}}\d\s*{w}"),
                    _ => format!(r"({w}+{w}+)+!"),
                };
                (Matcher::Regex, pattern)
            };
            Rule {
                id: i as i64 + 1,
                workspace_id: 1,
                space_id: (i % 4 == 0).then_some((i % 3) as i64 + 1),
                matcher,
                pattern,
                action: match i % 3 {
                    0 => RuleAction::Hold,
                    1 => RuleAction::Alert,
                    _ => RuleAction::Block,
                },
                note: format!("rule {i}"),
                created_by: 1,
                created_at: Timestamp(0),
            }
        })
        .collect()
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    n: usize,
}

/// Runs `check` over the messages, round after round, for `seconds`.
fn measure(messages: &[String], seconds: u64, mut check: impl FnMut(&str) -> usize) -> Figures {
    let mut times = Vec::new();
    let mut sink = 0usize;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    'rounds: loop {
        for message in messages {
            let start = Instant::now();
            sink = sink.wrapping_add(check(message));
            times.push(start.elapsed());
            if Instant::now() >= deadline {
                break 'rounds;
            }
        }
    }
    let total = started.elapsed();
    std::hint::black_box(sink);
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    Figures {
        per_second: times.len() as f64 / total.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        n: times.len(),
    }
}

fn print(label: &str, figures: &Figures) {
    println!(
        "{label:<44} {:>10.0} checks/s   p50 {:>7.1} µs   p99 {:>7.1} µs   ({} checks)",
        figures.per_second,
        figures.p50.as_secs_f64() * 1e6,
        figures.p99.as_secs_f64() * 1e6,
        figures.n
    );
}

pub fn moderation(args: ModerationBenchArgs) -> anyhow::Result<()> {
    let labelled = toxicity::labelled_set();
    // Messages: the labelled set's short texts, and one in ten as a long post
    // (ten texts and three links in one).
    let mut messages: Vec<String> = labelled
        .iter()
        .map(|(text, _)| (*text).to_owned())
        .collect();
    let long: Vec<String> = labelled
        .chunks(10)
        .take(messages.len() / 10)
        .map(|chunk| {
            let mut post: Vec<&str> = chunk.iter().map(|(text, _)| *text).collect();
            post.push("More at https://club.example/rides and https://club.example/maps or www.example.org.");
            post.join("\n\n")
        })
        .collect();
    messages.extend(long);
    let average = messages.iter().map(String::len).sum::<usize>() / messages.len();
    println!(
        "auto-moderation: {} rules, {} messages (average {average} bytes), single thread, {} s per figure",
        args.rules,
        messages.len(),
        args.seconds
    );

    let started = Instant::now();
    let set = RuleSet::compile(rules(args.rules));
    println!(
        "compiling {} rules into one set: {:.1} ms",
        set.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let hits: usize = messages.iter().map(|m| set.check(m, 1).len()).sum();
    println!(
        "rule hits over the messages: {hits} (most posts break no rule; ten rules use real words)"
    );

    print(
        &format!("{} rules", args.rules),
        &measure(&messages, args.seconds, |m| set.check(m, 1).len()),
    );
    print(
        "toxicity score",
        &measure(&messages, args.seconds, |m| {
            usize::from(toxicity::score(m).score >= toxicity::HOLD_THRESHOLD)
        }),
    );
    print(
        &format!(
            "everything: {} rules + links + duplicates + toxicity",
            args.rules
        ),
        &measure(&messages, args.seconds, |m| {
            set.check(m, 1).len()
                + automod::count_links(m)
                + usize::from(automod::has_image(m))
                + automod::duplicate_key(m).map_or(0, |k| k.len())
                + usize::from(toxicity::score(m).score >= toxicity::HOLD_THRESHOLD)
        }),
    );
    // A hostile input: the longest text checked, made of the characters a
    // catastrophic pattern backtracks on.
    let storm = "x".repeat(automod::MAX_CHECKED_CHARS);
    let storm_rules = RuleSet::compile(vec![Rule {
        pattern: "(x+x+)+y".into(),
        matcher: Matcher::Regex,
        ..rules(1).remove(0)
    }]);
    let started = Instant::now();
    let matched = storm_rules.check(&storm, 1).len() + set.check(&storm, 1).len();
    println!(
        "a {}-character storm against (x+x+)+y and the {} rules: {:.2} ms ({matched} hits; a backtracking engine would not finish)",
        storm.len(),
        args.rules,
        started.elapsed().as_secs_f64() * 1e3
    );

    println!();
    println!(
        "toxicity score at the hold threshold {}: labelled set of {} texts written for the purpose (crates/core/data/toxicity)",
        toxicity::HOLD_THRESHOLD,
        labelled.len()
    );
    for (label, samples) in [
        ("held-out split", toxicity::held_out_set()),
        ("dev split (tuned on)", toxicity::dev_set()),
        ("all", labelled.clone()),
    ] {
        let evaluation = toxicity::evaluate(&samples, toxicity::HOLD_THRESHOLD);
        println!(
            "  {label:<22} n {:>5}   precision {:.3}   recall {:.3}   F1 {:.3}   (TP {}, FP {}, FN {}, TN {})",
            evaluation.n,
            evaluation.precision(),
            evaluation.recall(),
            evaluation.f1(),
            evaluation.true_positives,
            evaluation.false_positives,
            evaluation.false_negatives,
            evaluation.true_negatives
        );
    }
    Ok(())
}

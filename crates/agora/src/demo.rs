//! `agora demo`: a realistic data set for trying Agora, generated from a fixed
//! seed so every run looks the same. Two workspaces; pages on several
//! networks; groups that behave like a community, like a support desk and
//! like an audience; about 200 members whose activity follows a power law;
//! four months of posts, threads, replies and interactions; one logins per role.

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug, Workspace};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::{
    CommunityStore, GroupMembership, GroupRole, NewReply, NewSpace, NewThread, Space, SpaceKind,
    ThreadKind, Visibility,
};
use agora_core::config::Config;
use agora_core::email::OutgoingEmail;
use agora_core::jobs::JobStore;
use agora_core::members::{MemberId, MemberStore, NewMember};
use agora_core::publishing::{NewPagePost, PostStatus, PublishingStore};
use agora_core::secrets::{HashCost, hash_password};
use agora_core::{Clock, SystemClock, Timestamp};
use agora_store::Db;

use crate::serve::{Mode, open_database, run_with};

pub const DEMO_PASSWORD: &str = "agora-demo-pass";
pub const DEMO_WORKSPACE: &str = "northwind";

/// The demo logins, one per role.
pub const DEMO_LOGINS: [(Role, &str, &str); 5] = [
    (Role::Admin, "admin@demo.agora", "Alex Admin"),
    (Role::Marketer, "marketer@demo.agora", "Mara Marketer"),
    (Role::CommunityManager, "cm@demo.agora", "Cora Community"),
    (Role::Moderator, "moderator@demo.agora", "Milo Moderator"),
    (Role::Member, "member@demo.agora", "Mina Member"),
];

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Lars",
    "Maya", "Nico", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Vera", "Wen",
    "Ximena", "Yusuf", "Zoe", "Amir", "Bea", "Carlos", "Dana", "Emil", "Fatou",
];
const LAST_NAMES: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Silva",
    "Novak",
    "Brennan",
    "Rossi",
    "Nakamura",
    "Adeyemi",
    "Fischer",
    "Dubois",
    "Park",
    "Costa",
    "Ivanova",
    "Mensah",
    "Larsen",
    "Singh",
];

struct GroupPlan {
    visibility: Visibility,
    rules: &'static str,
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    /// How often a reply goes to another member rather than staff answering.
    peer_reply_share: f64,
    /// Share of threads started by staff.
    staff_thread_share: f64,
    titles: &'static [&'static str],
    replies: &'static [&'static str],
}

struct WorkspacePlan {
    slug: &'static str,
    name: &'static str,
    signup_open: bool,
    n_members: usize,
    pages: &'static [(&'static str, &'static str, &'static str)],
    groups: &'static [GroupPlan],
    posts: &'static [&'static str],
}

const NORTHWIND: WorkspacePlan = WorkspacePlan {
    slug: "northwind",
    name: "Northwind Cycles",
    signup_open: true,
    n_members: 200,
    pages: &[
        ("mastodon", "@northwind@mastodon.social", "mastodon"),
        ("bluesky", "@northwind.bsky.social", "bluesky"),
        ("linkedin", "Northwind Cycles on LinkedIn", "linkedin"),
        ("newsletter", "The Northwind Letter", "email"),
    ],
    groups: &[
        GroupPlan {
            visibility: Visibility::Public,
            rules: COMMON_RULES,
            slug: "sunday-riders",
            name: "Sunday Riders",
            description: "Group rides, routes and the coffee stop afterwards.",
            peer_reply_share: 0.9,
            staff_thread_share: 0.05,
            titles: &[
                "Coast loop this Sunday?",
                "Best climb within 50 km",
                "Who's up for a gravel morning",
                "Rain plan for the weekend ride",
                "New route along the canal",
                "Pace groups for beginners",
                "Post-ride coffee spot",
                "Night ride with lights",
            ],
            replies: &[
                "Count me in, I'll bring spare tubes.",
                "Did it last week, the descent is gorgeous.",
                "Can we start at 9 instead?",
                "I'll lead the slower group.",
                "Route file attached, 62 km.",
                "Same! See you at the bridge.",
                "Watch out for the gravel after km 30.",
            ],
        },
        GroupPlan {
            visibility: Visibility::Public,
            rules: COMMON_RULES,
            slug: "repair-qa",
            name: "Repair Q&A",
            description: "Ask about maintenance; members and staff answer.",
            peer_reply_share: 0.55,
            staff_thread_share: 0.0,
            titles: &[
                "Brakes squeal after rain",
                "Chain skips on the 3rd cog",
                "Tubeless sealant: how often?",
                "Which torque for the stem?",
                "Creaking bottom bracket",
                "Derailleur hanger bent",
                "Best tyre pressure for 40 mm",
            ],
            replies: &[
                "Clean the rims with alcohol first.",
                "Sounds like a worn chain, measure it.",
                "Every three months in summer.",
                "5 Nm is printed on most stems.",
                "Mine did that, a bit of grease fixed it.",
                "Bring it to the shop, it's a 5-minute fix.",
            ],
        },
        GroupPlan {
            visibility: Visibility::Private,
            rules: "1. What is said in the team stays in the team.\n2. Training plans are shared, not judged.",
            slug: "race-team",
            name: "Race Team",
            description: "The club's racers: training plans, race calendar, logistics.",
            peer_reply_share: 0.85,
            staff_thread_share: 0.05,
            titles: &[
                "Interval plan for March",
                "Who drives to the Ronde?",
                "Tyre choice for cobbles",
            ],
            replies: &[
                "I'm in, two seats left.",
                "4x8 minutes worked for me.",
                "28 mm tubeless, low pressure.",
            ],
        },
        GroupPlan {
            visibility: Visibility::Public,
            rules: COMMON_RULES,
            slug: "announcements",
            name: "Product Announcements",
            description: "News from the Northwind team.",
            peer_reply_share: 0.1,
            staff_thread_share: 0.95,
            titles: &[
                "Spring collection is here",
                "Shop hours over the holidays",
                "New frame warranty",
                "Meet the team at the bike fair",
            ],
            replies: &[
                "Love the new colours!",
                "When does it ship to Norway?",
                "Is the warranty retroactive?",
                "See you there!",
            ],
        },
    ],
    posts: &[
        "Spring collection drops today — lighter frames, brighter colours.",
        "Sunday ride recap: 48 riders, 62 km, one flat tyre.",
        "Three checks before every ride: tyres, brakes, chain.",
        "We're hiring a mechanic in Lyon. Know someone?",
        "Behind the scenes: welding a Northwind frame.",
        "Your photos of the week, tagged #northwindrides.",
    ],
};

const LUMEN: WorkspacePlan = WorkspacePlan {
    slug: "lumen",
    name: "Lumen Coffee",
    signup_open: false,
    n_members: 60,
    pages: &[
        ("mastodon", "@lumen@coffee.social", "mastodon"),
        ("bluesky", "@lumen.coffee", "bluesky"),
    ],
    groups: &[GroupPlan {
        visibility: Visibility::Public,
        rules: COMMON_RULES,
        slug: "home-baristas",
        name: "Home Baristas",
        description: "Dialling in at home: grinders, ratios and latte art.",
        peer_reply_share: 0.8,
        staff_thread_share: 0.1,
        titles: &[
            "Grind size for the V60",
            "First latte art heart!",
            "Water recipe that works",
            "Best scale under 50 euros",
        ],
        replies: &[
            "Try one step finer.",
            "Congrats, it looks great!",
            "Third Wave Water changed everything for me.",
            "Mine is accurate to 0.1 g.",
        ],
    }],
    posts: &[
        "New single origin from Huila.",
        "Brew guide: the 4:6 method.",
        "Our roastery is open on Saturday.",
    ],
};

/// Picks a member with probability proportional to 1 / rank^1.1 (power law).
fn zipf_pick(rng: &mut StdRng, weights: &[f64], total: f64) -> usize {
    let mut target = rng.r#gen::<f64>() * total;
    for (i, weight) in weights.iter().enumerate() {
        target -= weight;
        if target <= 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

struct Seeder<'a> {
    db: &'a Db,
    rng: StdRng,
    now: Timestamp,
}

impl Seeder<'_> {
    async fn workspace(
        &mut self,
        plan: &WorkspacePlan,
        staff: &[(Role, i64, String)],
    ) -> anyhow::Result<Workspace> {
        let db = self.db;
        let start = self.now.plus_seconds(-120 * 86_400);
        let slug = Slug::parse(plan.slug).map_err(|error| anyhow::anyhow!("{error}"))?;
        let workspace = db
            .create_workspace(&slug, plan.name, plan.signup_open, start)
            .await?;
        let mut staff_members = Vec::new();
        for (role, account_id, _) in staff {
            db.upsert_membership(*account_id, workspace.id, *role, start)
                .await?;
            let member = db
                .member_of_account(workspace.id, *account_id)
                .await?
                .context("member profile of a demo account")?;
            if role.is_staff() {
                staff_members.push(member);
            }
        }
        let mut members: Vec<(MemberId, Timestamp)> = Vec::new();
        for n in 0..plan.n_members {
            let first = FIRST_NAMES[self.rng.gen_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[self.rng.gen_range(0..LAST_NAMES.len())];
            // Members keep joining over the four months, a few more recently.
            let joined_at =
                start.plus_millis((self.rng.r#gen::<f64>().sqrt() * 110.0 * 86_400_000.0) as i64);
            let id = db
                .create_member(&NewMember {
                    workspace_id: workspace.id,
                    account_id: None,
                    name: format!("{first} {last}"),
                    email: Some(format!(
                        "{}.{}{n}@example.org",
                        first.to_lowercase(),
                        last.to_lowercase()
                    )),
                    joined_at,
                    is_staff: false,
                })
                .await?;
            // Most members fill in a profile; interests drive the introductions.
            if self.rng.gen_bool(0.7) {
                let n_interests = self.rng.gen_range(1..4);
                let mut interests: Vec<String> = Vec::new();
                for _ in 0..n_interests {
                    let interest = INTERESTS[self.rng.gen_range(0..INTERESTS.len())].to_owned();
                    if !interests.contains(&interest) {
                        interests.push(interest);
                    }
                }
                let bio = format!("{first} here. Into {}.", interests.join(" and "));
                db.update_profile(id, &bio, &interests, true).await?;
            }
            members.push((id, joined_at));
        }
        if let Some((_, account_id, _)) = staff.iter().find(|(role, ..)| *role == Role::Member)
            && let Some(member) = db.member_of_account(workspace.id, *account_id).await?
        {
            members.push((member, start));
        }
        let weights: Vec<f64> = (0..members.len())
            .map(|rank| 1.0 / ((rank + 1) as f64).powf(1.1))
            .collect();
        let total: f64 = weights.iter().sum();

        for (slug, name, network) in plan.pages {
            let page = db
                .create_space(&NewSpace {
                    workspace_id: workspace.id,
                    kind: SpaceKind::Page,
                    slug: (*slug).into(),
                    name: (*name).into(),
                    description: String::new(),
                    network: (*network).into(),
                    visibility: Visibility::Public,
                    rules: String::new(),
                    created_at: start,
                })
                .await?;
            self.page_posts(
                &workspace,
                &page,
                plan.posts,
                &members,
                &weights,
                total,
                &staff_members,
            )
            .await?;
        }
        for group in plan.groups {
            let space = db
                .create_space(&NewSpace {
                    workspace_id: workspace.id,
                    kind: SpaceKind::Group,
                    slug: group.slug.into(),
                    name: group.name.into(),
                    description: group.description.into(),
                    network: "native".into(),
                    visibility: group.visibility,
                    rules: group.rules.into(),
                    created_at: start,
                })
                .await?;
            self.group_activity(
                &workspace,
                &space,
                group,
                &members,
                &weights,
                total,
                &staff_members,
            )
            .await?;
        }
        Ok(workspace)
    }

    #[allow(clippy::too_many_arguments)]
    async fn page_posts(
        &mut self,
        workspace: &Workspace,
        page: &Space,
        texts: &[&str],
        members: &[(MemberId, Timestamp)],
        weights: &[f64],
        total: f64,
        staff: &[MemberId],
    ) -> anyhow::Result<()> {
        let db = self.db;
        let mut interactions = Vec::new();
        // About three posts a week for four months, then two weeks scheduled, and a few drafts.
        for day in (-120..14).step_by(2) {
            if self.rng.gen_bool(0.25) {
                continue;
            }
            let hour = [8, 9, 12, 17, 18][self.rng.gen_range(0..5)];
            let at = Timestamp(
                (self.now.day() + day) * 86_400_000
                    + hour * 3_600_000
                    + self.rng.gen_range(0..4) * 900_000,
            );
            let published = at < self.now;
            let n_likes = if published {
                (self.rng.r#gen::<f64>().powi(3) * 300.0) as i64 + 3
            } else {
                0
            };
            let n_shares = if published {
                n_likes / self.rng.gen_range(4..12)
            } else {
                0
            };
            let n_replies = if published {
                n_likes / self.rng.gen_range(6..20)
            } else {
                0
            };
            let status = if published {
                PostStatus::Published
            } else if self.rng.gen_bool(0.8) {
                PostStatus::Scheduled
            } else {
                PostStatus::Draft
            };
            let body = texts[self.rng.gen_range(0..texts.len())].to_owned();
            db.create_page_post(&NewPagePost {
                workspace_id: workspace.id,
                space_id: page.id,
                body,
                status,
                at,
                n_likes,
                n_shares,
                n_replies,
            })
            .await?;
            if published && !staff.is_empty() {
                let author = staff[self.rng.gen_range(0..staff.len())];
                interactions.push(self.interaction(
                    workspace,
                    page,
                    author,
                    None,
                    InteractionKind::Post,
                    at,
                    true,
                ));
                // An audience: followers react and reply to the brand, rarely to each other.
                for _ in 0..(n_replies.min(6)) {
                    let (fan, joined) = members[zipf_pick(&mut self.rng, weights, total)];
                    if joined < at {
                        let when = at.plus_seconds(self.rng.gen_range(60..86_400));
                        interactions.push(self.interaction(
                            workspace,
                            page,
                            fan,
                            Some(author),
                            InteractionKind::Reply,
                            when,
                            false,
                        ));
                    }
                }
            }
        }
        db.record_interactions(&interactions).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn interaction(
        &self,
        workspace: &Workspace,
        space: &Space,
        actor: MemberId,
        target: Option<MemberId>,
        kind: InteractionKind,
        at: Timestamp,
        staff: bool,
    ) -> NewInteraction {
        NewInteraction {
            workspace_id: workspace.id,
            space_id: space.id,
            actor_id: actor,
            target_id: target,
            kind,
            at,
            source: if space.network == "native" {
                "native".into()
            } else {
                space.network.clone()
            },
            actor_is_staff: staff,
            thread_id: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn group_activity(
        &mut self,
        workspace: &Workspace,
        group: &Space,
        plan: &GroupPlan,
        members: &[(MemberId, Timestamp)],
        weights: &[f64],
        total: f64,
        staff: &[MemberId],
    ) -> anyhow::Result<()> {
        let db = self.db;
        let n_threads = 12 + plan.titles.len() * 6;
        let mut interactions = Vec::new();
        for _ in 0..n_threads {
            let days_ago = self.rng.gen_range(0..118);
            let created_at = self
                .now
                .plus_seconds(-days_ago * 86_400 - self.rng.gen_range(0..86_400));
            let staff_thread = !staff.is_empty() && self.rng.gen_bool(plan.staff_thread_share);
            let (author, author_is_staff) = if staff_thread {
                (staff[self.rng.gen_range(0..staff.len())], true)
            } else {
                let (member, joined) = members[zipf_pick(&mut self.rng, weights, total)];
                if joined > created_at {
                    continue;
                }
                (member, false)
            };
            let title = plan.titles[self.rng.gen_range(0..plan.titles.len())].to_owned();
            let thread = db
                .create_thread(&NewThread {
                    space_id: group.id,
                    kind: ThreadKind::Discussion,
                    author_id: author,
                    title: title.clone(),
                    body: format!("{title} Any tips welcome."),
                    created_at,
                })
                .await?;
            interactions.push(self.interaction(
                workspace,
                group,
                author,
                None,
                InteractionKind::Post,
                created_at,
                author_is_staff,
            ));
            if let Some(post) = interactions.last_mut() {
                post.thread_id = Some(thread);
            }
            let n_replies = (self.rng.r#gen::<f64>().powi(2) * 14.0) as i64;
            let mut participants = vec![(author, author_is_staff)];
            let mut at = created_at;
            for _ in 0..n_replies {
                at = at.plus_seconds(self.rng.gen_range(300..30_000));
                if at >= self.now {
                    break;
                }
                let staff_reply = !staff.is_empty() && !self.rng.gen_bool(plan.peer_reply_share);
                let (replier, replier_is_staff) = if staff_reply {
                    (staff[self.rng.gen_range(0..staff.len())], true)
                } else {
                    let (member, joined) = members[zipf_pick(&mut self.rng, weights, total)];
                    if joined > at {
                        continue;
                    }
                    (member, false)
                };
                let (target, _) = participants[self.rng.gen_range(0..participants.len())];
                let target = if target == replier { author } else { target };
                let body = plan.replies[self.rng.gen_range(0..plan.replies.len())].to_owned();
                db.create_reply(&NewReply {
                    thread_id: thread,
                    author_id: replier,
                    reply_to_member_id: Some(target),
                    quote_reply_id: None,
                    body,
                    created_at: at,
                })
                .await?;
                interactions.push(self.interaction(
                    workspace,
                    group,
                    replier,
                    Some(target),
                    InteractionKind::Reply,
                    at,
                    replier_is_staff,
                ));
                if let Some(reply) = interactions.last_mut() {
                    reply.thread_id = Some(thread);
                }
                for _ in 0..self.rng.gen_range(0..3) {
                    let (reactor, joined) = members[zipf_pick(&mut self.rng, weights, total)];
                    if joined < at && reactor != replier {
                        let when = at.plus_seconds(self.rng.gen_range(60..7_200));
                        interactions.push(self.interaction(
                            workspace,
                            group,
                            reactor,
                            Some(replier),
                            InteractionKind::Reaction,
                            when,
                            false,
                        ));
                    }
                }
                if !participants.contains(&(replier, replier_is_staff)) {
                    participants.push((replier, replier_is_staff));
                }
            }
        }
        interactions.retain(|interaction| interaction.at < self.now);
        db.record_interactions(&interactions).await?;
        // Everyone who took part is a member of the group, since their first post.
        let mut joined: std::collections::HashMap<MemberId, Timestamp> =
            std::collections::HashMap::new();
        for interaction in interactions
            .iter()
            .filter(|interaction| !interaction.actor_is_staff)
        {
            let entry = joined.entry(interaction.actor_id).or_insert(interaction.at);
            *entry = (*entry).min(interaction.at);
        }
        // The two most active members own and moderate the group.
        let mut activity: std::collections::HashMap<MemberId, usize> =
            std::collections::HashMap::new();
        for interaction in interactions
            .iter()
            .filter(|interaction| !interaction.actor_is_staff)
        {
            *activity.entry(interaction.actor_id).or_default() += 1;
        }
        let mut most_active: Vec<(MemberId, usize)> = activity.into_iter().collect();
        most_active.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let role_of = |member: MemberId| match most_active.iter().position(|(id, _)| *id == member)
        {
            Some(0) => GroupRole::Owner,
            Some(1) => GroupRole::Moderator,
            _ => GroupRole::Member,
        };
        for (member_id, joined_at) in joined {
            db.upsert_group_membership(&GroupMembership {
                space_id: group.id,
                member_id,
                role: role_of(member_id),
                active: true,
                rules_version: group.rules_version,
                joined_at,
            })
            .await?;
        }
        Ok(())
    }
}

const INTERESTS: &[&str] = &[
    "gravel",
    "road racing",
    "bikepacking",
    "commuting",
    "repairs",
    "photography",
    "coffee",
    "trail running",
    "touring",
    "e-bikes",
];

const COMMON_RULES: &str = "1. Be kind; assume good intent.\n2. Stay on topic; use the right group.\n3. No selling or self-promotion without asking the moderators.\n4. Help newcomers: every expert was one once.";

/// Seeds the demo unless it is already there; answers whether it seeded.
pub async fn seed(
    db: &Db,
    now: Timestamp,
    sealer: &agora_core::secrets::Sealer,
) -> anyhow::Result<bool> {
    if db.workspace_by_slug(DEMO_WORKSPACE).await?.is_some() {
        return Ok(false);
    }
    let hash = hash_password(DEMO_PASSWORD, HashCost::Production);
    let mut accounts = Vec::new();
    for (role, email, name) in DEMO_LOGINS {
        let email = Email::parse(email).map_err(|error| anyhow::anyhow!("{error}"))?;
        let name = DisplayName::parse(name).map_err(|error| anyhow::anyhow!("{error}"))?;
        let account = match db.credentials_by_email(&email).await? {
            Some(existing) => existing.account,
            None => {
                db.create_account(&email, &name, &hash, now.plus_seconds(-120 * 86_400))
                    .await?
            }
        };
        accounts.push((role, account.id, account.name));
    }
    let mut seeder = Seeder {
        db,
        rng: StdRng::seed_from_u64(2026),
        now,
    };
    let northwind = seeder.workspace(&NORTHWIND, &accounts).await?;
    // In the second workspace the admin and the marketer work too; the member is not in it.
    let lumen_staff: Vec<(Role, i64, String)> = accounts
        .iter()
        .filter(|(role, ..)| matches!(role, Role::Admin | Role::Marketer))
        .cloned()
        .collect();
    let lumen = seeder.workspace(&LUMEN, &lumen_staff).await?;
    // Lumen's Discord, brought in as an imported log of realistic shape (the
    // generator of `agora gen`), so its health dashboards have history too.
    crate::analytics::generate_into(
        db,
        &lumen,
        crate::synthetic::GenParams {
            members: 300,
            interactions: 8_000,
            seed: 2026,
            days: 120,
            end: now.day() * 86_400,
        },
    )
    .await?;
    // The marketer's channels and their posts' history.
    if let Some((_, marketer_account, _)) =
        accounts.iter().find(|(role, ..)| *role == Role::Marketer)
        && let Some(marketer) = db
            .member_of_account(northwind.id, *marketer_account)
            .await?
    {
        crate::demo_publishing::seed(db, sealer, northwind.id, marketer, now).await?;
        let admin = match accounts.iter().find(|(role, ..)| *role == Role::Admin) {
            Some((_, account, _)) => db.member_of_account(northwind.id, *account).await?,
            None => None,
        };
        crate::demo_desk::seed(db, northwind.id, marketer, admin, now).await?;
    }
    // The community manager's welcome message for newcomers.
    if let Some((_, cm_account, _)) = accounts
        .iter()
        .find(|(role, ..)| *role == Role::CommunityManager)
        && let Some(cm) = db.member_of_account(northwind.id, *cm_account).await?
    {
        db.set_welcome_message(
            northwind.id,
            "Welcome to {workspace}, **{name}**! I am Cora, the community manager.\n\n\
             The *Sunday Riders* plan group rides, *Repair Q&A* answers any question about \
             your bike (members answer most of them!), and *Product Announcements* is where we \
             share what is new. Say hello, and ask anything.",
            cm,
            now,
        )
        .await?;
    }
    // Events: past ones with attendance and feedback, coming ones, a series, a full ride.
    if let Some((_, cm_account, _)) = accounts
        .iter()
        .find(|(role, ..)| *role == Role::CommunityManager)
        && let Some(cm) = db.member_of_account(northwind.id, *cm_account).await?
    {
        let mina = match accounts.iter().find(|(role, ..)| *role == Role::Member) {
            Some((_, account, _)) => db.member_of_account(northwind.id, *account).await?,
            None => None,
        };
        crate::demo_events::seed(db, northwind.id, &northwind.slug, cm, mina, now).await?;
        // Moderation: the code of conduct, rules, a queue, sanctions, the public log, trust levels.
        let moderator = match accounts.iter().find(|(role, ..)| *role == Role::Moderator) {
            Some((_, account, _)) => db.member_of_account(northwind.id, *account).await?,
            None => None,
        };
        crate::demo_moderation::seed(db, northwind.id, cm, moderator, mina, now).await?;
    }
    // A bounced e-mail, so the admin's jobs page shows what a dead job looks like.
    let bounced = OutgoingEmail {
        to: "not-an-address".into(),
        subject: "Welcome to the Sunday Riders".into(),
        text: "Welcome!".into(),
        html: None,
        message_key: "demo.welcome.bounced".into(),
        unsubscribe_url: None,
    };
    db.enqueue(&bounced.into_job(now).for_workspace(northwind.id), now)
        .await?;
    Ok(true)
}

pub async fn run(config: Config, no_serve: bool) -> anyhow::Result<()> {
    let db = open_database(&config).await?;
    let started = std::time::Instant::now();
    let seeded = seed(&db, SystemClock.now(), &crate::serve::sealer(&config)?).await?;
    let mut lines = Vec::new();
    if seeded {
        lines.push(format!(
            "Seeded the demo in {:.1} s into {}.",
            started.elapsed().as_secs_f64(),
            config.data_dir.display()
        ));
    } else {
        lines.push(format!(
            "Reusing the demo data in {}.",
            config.data_dir.display()
        ));
    }
    lines.push(String::new());
    lines.push(format!("Agora demo: {}", config.public_url));
    lines.push(format!("Demo logins (password for all: {DEMO_PASSWORD}):"));
    for (role, email, _) in DEMO_LOGINS {
        lines.push(format!("  {:<18} {email}", role.label()));
    }
    lines.push("E-mails (password resets, invitations) are written to the outbox folder in the data directory unless smtp.url is set.".into());
    let announce = lines.join("\n");
    if no_serve {
        println!("{announce}");
        return Ok(());
    }
    run_with(config, db, Mode::Both, Some(announce)).await
}

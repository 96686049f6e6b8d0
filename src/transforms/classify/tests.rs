//! Tests of the classifier as a whole: one per rule feature, the shipped packs, errors and the model.

use super::*;

fn pack(rules: &str) -> Pack {
    parse_pack(rules, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn ids(c: &Classification) -> Vec<&str> {
    c.topics.iter().map(|t| t.id.as_str()).collect()
}

fn run(rules: &str, title: &str, text: &str) -> Classification {
    Classifier::with_gazetteer(pack(rules), Gazetteer::empty(), None).classify(title, text)
}

#[test]
fn terms_match_inflections_through_stemming() {
    let rules = "[[topic]]\nid = \"a\"\nthreshold = 1\n[topic.terms]\nassassinate = 1\n";
    assert_eq!(
        ids(&run(rules, "", "The minister was assassinated.")),
        ["a"]
    );
    assert_eq!(ids(&run(rules, "", "an assassination attempt")), ["a"]);
    assert!(run(rules, "", "an assault").topics.is_empty());
}

#[test]
fn exact_terms_do_not_stem() {
    let rules = "[[topic]]\nid = \"a\"\nthreshold = 1\n[topic.terms]\n\"=shelling\" = 1\n";
    assert_eq!(ids(&run(rules, "", "Heavy shelling overnight")), ["a"]);
    assert!(run(rules, "", "shell companies").topics.is_empty());
}

#[test]
fn hyphenated_terms_match_closed_spaced_and_hyphenated_text() {
    let rules = "[[topic]]\nid = \"c\"\nthreshold = 1\n[topic.terms]\n\"cease-fire\" = 1\n";
    for text in [
        "a ceasefire",
        "a cease-fire",
        "a cease fire",
        "a CEASE‑FIRE",
        "ceasefires",
    ] {
        assert_eq!(ids(&run(rules, "", text)), ["c"], "{text}");
    }
    let closed = "[[topic]]\nid = \"c\"\nthreshold = 1\n[topic.terms]\nceasefire = 1\n";
    assert_eq!(ids(&run(closed, "", "the cease-fire held")), ["c"]);
}

#[test]
fn normalisation_folds_nfkc_diacritics_case_and_possessives() {
    let rules = "[[topic]]\nid = \"t\"\nthreshold = 1\n[topic.terms]\n\"turkiye military\" = 1\n";
    let text = "TÜRKİYE’S ｍｉｌｉｔａｒｙ moved";
    let c = run(rules, "", text);
    assert_eq!(ids(&c), ["t"]);
    let e = &c.topics[0].evidence[0];
    assert_eq!(&text[e.start..e.end], "TÜRKİYE’S ｍｉｌｉｔａｒｙ");
}

#[test]
fn evidence_offsets_point_into_the_original_text() {
    let rules = "[[topic]]\nid = \"h\"\nthreshold = 1\n[topic.terms]\n\"prisoner swap\" = 1\n";
    let text = "Après des mois, a « Prisoner   Swap » was agreed.";
    let c = run(rules, "Swap", text);
    let e = &c.topics[0].evidence[0];
    assert_eq!(e.field, Some(Field::Text));
    assert_eq!(&text[e.start..e.end], "Prisoner   Swap");
    assert!(e.snippet.contains("Prisoner Swap"), "{}", e.snippet);
}

#[test]
fn title_hits_count_more_than_body_hits() {
    let rules = "[[topic]]\nid = \"s\"\nthreshold = 3\n[topic.terms]\nsanctions = 2\n";
    assert!(
        run(rules, "", "He also mentioned sanctions.")
            .topics
            .is_empty()
    );
    assert_eq!(ids(&run(rules, "New sanctions on X", "")), ["s"]);
    assert_eq!(
        ids(&run(
            rules,
            "",
            "sanctions, sanctions, and more sanctions, sanctions"
        )),
        ["s"]
    );
}

#[test]
fn proximity_rules_need_both_sides_within_the_distance() {
    let rules = r#"
[[topic]]
id = "p"
threshold = 3
[topic.terms]
dummy = 1
[[topic.near]]
a = ["plot"]
b = ["kill", "assassinate"]
within = 3
weight = 3
"#;
    let c = run(rules, "", "They foiled a plot to kill the mayor.");
    assert_eq!(ids(&c), ["p"]);
    assert_eq!(c.topics[0].evidence[0].term, "plot ~ kill");
    assert!(
        run(
            rules,
            "",
            "The plot of the novel is long and slow; nobody will kill it."
        )
        .topics
        .is_empty()
    );
    assert_eq!(ids(&run(rules, "", "killed in a plot")), ["p"]);
}

#[test]
fn an_ordered_proximity_rule_needs_its_a_term_first() {
    let rules = "[[topic]]\nid = \"t\"\nthreshold = 1\n[[topic.near]]\na = [\"militants\"]\n\
                 b = [\"attacked\"]\nwithin = 3\nweight = 1\nordered = true\n";
    assert_eq!(ids(&run(rules, "", "Militants attacked a post.")), ["t"]);
    assert!(
        run(rules, "", "Troops attacked the militants.")
            .topics
            .is_empty()
    );
    let either = rules.replace("ordered = true\n", "");
    assert_eq!(
        ids(&run(&either, "", "Troops attacked the militants.")),
        ["t"]
    );
}

#[test]
fn exclusions_hide_overlapping_hits_only() {
    let rules = r#"
[[topic]]
id = "m"
threshold = 1
exclude = ["hunger strike"]
[topic.terms]
strike = 1
"#;
    assert!(
        run(rules, "", "a hunger strike entered day 40")
            .topics
            .is_empty()
    );
    assert_eq!(
        ids(&run(
            rules,
            "",
            "a hunger strike, then a strike on the base"
        )),
        ["m"]
    );
}

#[test]
fn required_any_and_none_groups_gate_the_topic() {
    let rules = r#"
[[topic]]
id = "n"
threshold = 1
any = ["nuclear", "uranium"]
none = ["family"]
all = ["iran"]
[topic.terms]
test = 1
"#;
    assert!(
        run(rules, "", "Iran conducted a missile test")
            .topics
            .is_empty(),
        "any"
    );
    assert_eq!(ids(&run(rules, "", "Iran: a nuclear test")), ["n"]);
    assert!(
        run(rules, "", "Korea: a nuclear test").topics.is_empty(),
        "all"
    );
    assert!(
        run(rules, "", "Iran nuclear test, family")
            .topics
            .is_empty(),
        "none"
    );
}

#[test]
fn capitals_in_rules_are_required_in_text() {
    let rules = "[[topic]]\nid = \"u\"\nthreshold = 1\n[topic.terms]\nUN = 1\n";
    assert_eq!(ids(&run(rules, "", "the UN said")), ["u"]);
    assert!(run(rules, "", "an un-named source").topics.is_empty());
}

#[test]
fn thresholds_grow_with_the_square_root_of_a_long_text() {
    let rules = "long_text_words = 20\n[[topic]]\nid = \"s\"\nthreshold = 2\n[topic.terms]\nstrike = 2\nbomb = 2\n";
    let filler = "the harbour was quiet and the ferries ran on time ";
    // Up to 20 words one core term is enough, wherever it occurs.
    let short = format!("{filler} An air strike hit a depot.");
    let c = run(rules, "", &short);
    assert_eq!(ids(&c), ["s"]);
    assert!((c.topics[0].score - 0.5).abs() < 1e-6);
    // 76 words: the threshold nearly doubles, so a passing mention is not a topic ...
    let long = format!("{} An air strike hit a depot.", filler.repeat(7));
    assert!(run(rules, "", &long).topics.is_empty());
    // ... while a text about the matter, with it in the headline and more evidence, still is.
    let c = run(rules, "Air strike bombs a depot", &long);
    assert_eq!(ids(&c), ["s"]);
    // Without the key thresholds never grow.
    let fixed = "[[topic]]\nid = \"s\"\nthreshold = 2\n[topic.terms]\nstrike = 2\n";
    assert_eq!(ids(&run(fixed, "", &long)), ["s"]);
    let p = pack(rules);
    assert_eq!(p.threshold_factor(20), 1.0);
    assert_eq!(p.threshold_factor(80), 2.0);
    assert!(parse_pack(&format!("long_text_words = 0\n{fixed}"), "t.toml").is_err());
}

#[test]
fn a_negative_proximity_rule_takes_points_off() {
    let rules = "[[topic]]\nid = \"e\"\nthreshold = 2\n[topic.terms]\nelection = 2\n\
                 [[topic.near]]\na = [\"ahead of\"]\nb = [\"election\"]\nwithin = 3\nweight = -1\n";
    assert_eq!(
        ids(&run(rules, "", "Voters queue as the election opens.")),
        ["e"]
    );
    let c = run(rules, "", "Troops were deployed ahead of the election.");
    assert!(c.topics.is_empty(), "{:?}", ids(&c));
}

#[test]
fn both_shipped_packs_load() {
    let default = Pack::default_pack();
    let want = [
        "ceasefire",
        "assassination_plot",
        "hostages",
        "sanctions",
        "nuclear",
        "military_strike",
        "terrorism",
        "protest",
        "diplomacy",
        "elections",
        "coup",
        "cyber",
        "humanitarian",
        "espionage",
    ];
    assert_eq!(default.topic_ids(), want);
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics/acled-events.toml");
    let acled = load_pack(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(acled.topics.len(), 30);
    assert!(acled.single_label);
    assert_eq!(
        acled.fallback.map(|i| acled.topics[i].id.as_str()),
        Some("OTHER")
    );
}

#[test]
fn default_pack_tags_a_typical_brief() {
    let c = Classifier::new(Pack::default_pack(), None).classify(
        "Hamas and Israel agree to Gaza truce",
        "Qatar and Egypt brokered the ceasefire, which includes a prisoner exchange. \
         Hostages held in Gaza are to be released.",
    );
    let got = ids(&c);
    assert!(
        got.contains(&"ceasefire") && got.contains(&"hostages"),
        "{got:?}"
    );
    let names: Vec<_> = c.entities.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"Hamas") && names.contains(&"Qatar"),
        "{names:?}"
    );
}

#[test]
fn default_pack_gives_a_short_brief_its_topic_from_one_core_term_in_the_body() {
    // Most feed entries are a headline and a sentence: one unambiguous term must be enough.
    let c = Classifier::new(Pack::default_pack(), None);
    let got = c.classify(
        "Weekend in the north",
        "Two engineers were kidnapped near the border.",
    );
    assert_eq!(ids(&got), ["hostages"]);
    let got = c.classify(
        "Market day in the capital",
        "A suicide bomber struck a crowded square.",
    );
    assert!(ids(&got).contains(&"terrorism"), "{:?}", ids(&got));
}

#[test]
fn default_pack_needs_more_than_one_weak_term_in_the_headline() {
    // A weak, ambiguous word ("campaign", "rally") in the headline alone is not a topic.
    let c = Classifier::new(Pack::default_pack(), None);
    let got = c.classify(
        "Campaign for a new library",
        "Readers gave books to the town.",
    );
    assert!(ids(&got).is_empty(), "{:?}", ids(&got));
}

#[test]
fn default_pack_knows_common_inflections_and_synonyms_of_its_topics() {
    let c = Classifier::new(Pack::default_pack(), None);
    let got = c.classify(
        "Saboteurs blow up a pipeline",
        "The line carried oil to the port.",
    );
    assert!(ids(&got).contains(&"terrorism"), "{:?}", ids(&got));
    let got = c.classify(
        "Envoys meet",
        "The two foreign ministers discussed the peace process.",
    );
    assert!(ids(&got).contains(&"diplomacy"), "{:?}", ids(&got));
}

/// The default pack's topics for a brief, as a sorted list.
fn default_topics(title: &str, text: &str) -> Vec<String> {
    thread_local! {
        static C: Classifier = Classifier::new(Pack::default_pack(), None);
    }
    let mut got: Vec<String> = C.with(|c| {
        ids(&c.classify(title, text))
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    got.sort();
    got
}

#[test]
fn default_pack_does_not_tag_an_election_named_only_as_a_time_reference() {
    assert_eq!(
        default_topics(
            "Curfew in the capital",
            "The government imposed a curfew ahead of January elections."
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        default_topics(
            "Queues at polling stations",
            "Voters chose a new president on Sunday."
        ),
        ["elections"]
    );
    assert_eq!(
        default_topics(
            "Senator visits a factory",
            "Since he was elected last year he has toured every county."
        ),
        Vec::<String>::new()
    );
}

#[test]
fn default_pack_knows_the_everyday_vocabulary_of_relations_between_states() {
    for (title, text) in [
        (
            "Leader sends greetings",
            "The president sent a congratulatory message to the new king.",
        ),
        (
            "Ministers meet",
            "The two ministers held talks on fishing rights.",
        ),
        (
            "Old allies drift apart",
            "The trans-Atlantic rift over trade deepened.",
        ),
        (
            "Chancellor at the United Nations",
            "She met with the Secretary-General in New York.",
        ),
    ] {
        assert!(
            default_topics(title, text).contains(&"diplomacy".to_string()),
            "{title} {text}: {:?}",
            default_topics(title, text)
        );
    }
    // Negotiating with kidnappers is the hostage story.
    assert_eq!(
        default_topics(
            "Hostage mediators criticised",
            "Officials said the two engineers are still held."
        ),
        ["hostages"]
    );
}

#[test]
fn default_pack_reads_crowd_control_as_protest_not_military_strike() {
    assert_eq!(
        default_topics(
            "Vendors and police clash",
            "Troops fired tear gas and rubber bullets at crowds of street vendors."
        ),
        ["protest"]
    );
    assert_eq!(
        default_topics(
            "Army and rebels clash near the town",
            "Soldiers fought rebels for a second day."
        ),
        ["military_strike"]
    );
}

#[test]
fn default_pack_separates_kidnappings_murder_charges_and_slogans_from_terrorism_and_plots() {
    // Kidnapping by an armed group is the hostages topic only.
    assert_eq!(
        default_topics(
            "Gunmen kidnap two engineers",
            "The men were taken from their car."
        ),
        ["hostages"]
    );
    // A murder charge for a killing is a crime report, not a plot against a person.
    assert_eq!(
        default_topics(
            "Guards in court",
            "Four guards were charged with the murder of a prisoner."
        ),
        Vec::<String>::new()
    );
    // A political slogan is not an attack.
    assert_eq!(
        default_topics(
            "Columnists trade barbs",
            "Each accused the other of losing the war on terror."
        ),
        Vec::<String>::new()
    );
}

#[test]
fn default_pack_tags_ending_the_fighting_and_a_bare_nuclear_programme() {
    assert_eq!(
        default_topics(
            "Militia to give up its guns",
            "Fighters will begin handing weapons over next week, ending weeks of fighting."
        ),
        ["ceasefire"]
    );
    assert_eq!(
        default_topics(
            "Neighbours worried",
            "Tehran's nuclear ambitions alarm the region."
        ),
        ["nuclear"]
    );
}

#[test]
fn default_pack_needs_a_conflict_angle_for_humanitarian_in_a_natural_disaster() {
    assert_eq!(
        default_topics(
            "Storm victims wait",
            "Aid reached families displaced by the hurricane."
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        default_topics(
            "Fighting empties the valley",
            "Aid reached families displaced by the fighting."
        ),
        ["humanitarian"]
    );
}

#[test]
fn default_pack_excludes_words_that_only_share_a_stem_with_its_terms() {
    for (title, text) in [
        (
            "Prototype shown",
            "Engineers demonstrated the new engine to investors.",
        ),
        ("Markets close higher", "Stocks rallied after the report."),
        (
            "Ministry publishes figures",
            "Officials informed reporters that the information was secret.",
        ),
        (
            "Council meets",
            "The mayor challenged the budget; delegates approved the cooperative plan.",
        ),
        (
            "Bridge opens",
            "The minister inaugurated the bridge on Monday.",
        ),
        (
            "Festival in Belfast",
            "Protestant and Catholic choirs sang together.",
        ),
        (
            "Back to normal",
            "Trains ran normally again, a spokesman said of the related delays.",
        ),
        (
            "Think tank report",
            "Analysts at a think tank published figures on wages.",
        ),
        ("Restaurant closed", "Forty guests suffered food poisoning."),
    ] {
        assert_eq!(
            default_topics(title, text),
            Vec::<String>::new(),
            "{title} {text}"
        );
    }
    // The terms themselves still count.
    assert_eq!(
        default_topics(
            "Crowds in the square",
            "Thousands joined the demonstration."
        ),
        ["protest"]
    );
}

#[test]
fn default_pack_does_not_read_a_president_s_office_as_an_election() {
    assert_eq!(
        default_topics(
            "Presidential guard on alert",
            "The presidential spokesman said the presidential palace was safe."
        ),
        Vec::<String>::new()
    );
}

#[test]
fn default_pack_knows_state_actors_insurgent_attacks_and_gunships() {
    assert_eq!(
        default_topics(
            "Consulate opens",
            "The foreign secretary opened a consulate in the port."
        ),
        ["diplomacy"]
    );
    assert_eq!(
        default_topics(
            "Police post hit",
            "An insurgent attack on a police post left two dead."
        ),
        ["terrorism"]
    );
    assert_eq!(
        default_topics("Convoy hit", "Helicopter gunships fired on the convoy."),
        ["military_strike"]
    );
}

#[test]
fn default_pack_reads_figures_of_speech_and_aerial_bombing_for_what_they_are() {
    for (title, text) in [
        (
            "Senator's charm offensive",
            "Critics blasted the charm offensive.",
        ),
        (
            "Privacy row",
            "Critics called the rule an invasion of privacy and a barrage of criticism followed.",
        ),
    ] {
        assert_eq!(
            default_topics(title, text),
            Vec::<String>::new(),
            "{title} {text}"
        );
    }
    // A hunger strike and economic aid are not humanitarian.
    let got = default_topics(
        "Inmates on hunger strike",
        "Donors pledged economic aid to the region.",
    );
    assert!(!got.contains(&"humanitarian".to_string()), "{got:?}");
    // Bombing from the air is a state's weapon: a military strike, not terrorism.
    assert_eq!(
        default_topics(
            "Bombing raids on the city",
            "Warplanes returned for a third night."
        ),
        ["military_strike"]
    );
}

#[test]
fn default_pack_keeps_a_topic_when_the_brief_reports_a_denial_or_a_rejection() {
    // docs/topics.md: a topic applies when the brief reports on the matter, a denial included; the pack
    // has no negation rule, and denials must not lose their topic.
    for (title, text, topic) in [
        (
            "Kremlin denies plot to kill dissident",
            "A spokesman called the report absurd.",
            "assassination_plot",
        ),
        (
            "Army denies shelling the village",
            "Residents said houses were hit overnight.",
            "military_strike",
        ),
        (
            "Rebels reject truce offer",
            "The group said it would fight on.",
            "ceasefire",
        ),
        (
            "Tehran denies seeking nuclear weapons",
            "Officials repeated the claim on Sunday.",
            "nuclear",
        ),
    ] {
        let got = default_topics(title, text);
        assert!(got.contains(&topic.to_string()), "{title}: {got:?}");
    }
}

#[test]
fn default_pack_reads_an_armed_group_attacking_as_terrorism_and_troops_attacking_it_as_a_strike() {
    assert_eq!(
        default_topics(
            "Police post hit",
            "Militants stormed a police post before dawn."
        ),
        ["terrorism"]
    );
    assert_eq!(
        default_topics(
            "Raid near the border",
            "Troops killed five militants in a raid."
        ),
        ["military_strike"]
    );
    // Soldiers as the victims of an ambush make it the armed group's attack, not the army's strike.
    assert_eq!(
        default_topics(
            "Patrol hit",
            "Insurgents ambushed and killed three soldiers."
        ),
        ["terrorism"]
    );
}

#[test]
fn acled_pack_prefers_the_means_of_attack_to_armed_clash_between_the_same_actors() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics/acled-events.toml");
    let c = Classifier::new(load_pack(&path).unwrap(), None);
    // Armed clash is the residual battle type: the army's helicopters make it an air strike ...
    assert_eq!(
        ids(&c.classify(
            "",
            "Army helicopters raided militant hideouts near the town."
        )),
        ["AIR_STRIKE"]
    );
    // ... while troops fighting militants stays a clash.
    assert_eq!(
        ids(&c.classify(
            "",
            "Troops fought militants near the border town on Monday."
        )),
        ["ARMED_CLASH"]
    );
}

#[test]
fn acled_pack_credits_territory_to_the_side_that_takes_it() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics/acled-events.toml");
    let c = Classifier::new(load_pack(&path).unwrap(), None);
    // The captured fighters come after the verb: the army took the town.
    assert_eq!(
        ids(&c.classify(
            "",
            "The army seized control of the town and captured several rebel fighters."
        )),
        ["GOV_REGAINS_TERIT"]
    );
    assert_eq!(
        ids(&c.classify("", "Rebels captured the town after a week of fighting.")),
        ["NON_STATE_ACTOR_OVERTAKES_TER"]
    );
}

#[test]
fn single_label_pack_always_returns_one_topic() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics/acled-events.toml");
    let c = Classifier::new(load_pack(&path).unwrap(), None);
    assert_eq!(ids(&c.classify("", "Nothing of note happened.")), ["OTHER"]);
    assert_eq!(
        ids(&c.classify("", "Two hand grenades were hurled at a police post.")),
        ["GRENADE"]
    );
}

#[test]
fn a_broken_rule_names_file_topic_and_rule() {
    let e = parse_pack(
        "[[topic]]\nid = \"ok\"\n[topic.terms]\nx = 1\n[[topic]]\nid = \"bad\"\n[topic.terms]\n\"--\" = 1\n",
        "packs/mine.toml",
    )
    .unwrap_err();
    assert_eq!(e.file, "packs/mine.toml");
    assert_eq!(e.topic.as_deref(), Some("bad"));
    assert_eq!(e.rule.as_deref(), Some("terms.\"--\""));
    let msg = e.to_string();
    assert!(
        msg.contains("packs/mine.toml") && msg.contains("bad") && msg.contains("--"),
        "{msg}"
    );
    let near = parse_pack(
        "[[topic]]\nid = \"n\"\n[topic.terms]\nx = 1\n[[topic.near]]\na = [\"a\"]\nb = [\"b*\"]\nwithin = 2\nweight = 1\n",
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(near.rule.as_deref(), Some("near[0].b[0]"));
    let unknown = parse_pack("[[topic]]\nid = \"n\"\ntreshold = 1\n", "p.toml").unwrap_err();
    assert!(unknown.reason.contains("treshold"), "{unknown}");
}

#[test]
fn weights_past_the_bound_are_refused_naming_the_rule() {
    let e = parse_pack(
        "[[topic]]\nid = \"huge\"\n[topic.terms]\nplot = 3e38\n",
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(e.rule.as_deref(), Some("terms.\"plot\""));
    assert!(e.reason.contains("outside"), "{e}");
    let e = parse_pack(
        "[[topic]]\nid = \"n\"\n[topic.terms]\nx = 1\n[[topic.near]]\na = [\"a\"]\nb = [\"b\"]\nwithin = 2\nweight = -5000\n",
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(e.rule.as_deref(), Some("near[0].weight"));
    // At the bound a pack loads, and a text full of the term scores a number.
    let pack = parse_pack(
        "[[topic]]\nid = \"big\"\nthreshold = 1\n[topic.terms]\nplot = 1000\n",
        "p.toml",
    )
    .unwrap();
    let text = "plot ".repeat(20_000);
    let c = Classifier::with_gazetteer(pack, Gazetteer::empty(), None).classify("plot", &text);
    assert_eq!(c.topics.len(), 1, "{c:?}");
    assert!(
        c.topics[0].score.is_finite() && c.topics[0].score <= 1.0,
        "{c:?}"
    );
}

#[test]
fn model_trains_predicts_and_round_trips_through_json() {
    let ex = |t: &str, l: &str| (t.to_string(), vec![l.to_string()]);
    let examples = vec![
        ex("troops shelled the village at dawn", "war"),
        ex("artillery shelled positions near the town", "war"),
        ex("heavy shelling hit the front line", "war"),
        ex("voters went to the polls in the election", "vote"),
        ex("the election result was contested by voters", "vote"),
        ex(
            "polls closed and election officials counted ballots",
            "vote",
        ),
    ];
    let topics = vec!["war".to_string(), "vote".to_string()];
    let opts = TrainOptions {
        min_df: 1,
        ..TrainOptions::default()
    };
    let m = Model::train_with(&examples, &topics, opts);
    let best = |m: &Model, t: &str| {
        let p = m.predict(t);
        p.iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
            .0
            .clone()
    };
    assert_eq!(best(&m, "shelling of the town"), "war");
    assert_eq!(best(&m, "the election and the voters"), "vote");
    let back = Model::from_json(&m.to_json()).unwrap();
    assert_eq!(
        back.predict("shelling of the town"),
        m.predict("shelling of the town")
    );
}

#[test]
fn model_contribution_is_reported_as_evidence() {
    let ex = |t: &str, l: &str| (t.to_string(), vec![l.to_string()]);
    let examples = vec![
        ex("alpha beta", "a"),
        ex("alpha gamma", "a"),
        ex("delta epsilon", "b"),
        ex("delta zeta", "b"),
    ];
    let p = pack(
        "[[topic]]\nid = \"a\"\nthreshold = 1\n[topic.terms]\nalpha = 1\n[[topic]]\nid = \"b\"\nthreshold = 1\n[topic.terms]\ndelta = 1\n",
    );
    let m = Model::train_with(
        &examples,
        &p.topic_ids(),
        TrainOptions {
            min_df: 1,
            ..TrainOptions::default()
        },
    );
    let c = Classifier::with_gazetteer(p, Gazetteer::empty(), Some(m)).classify("", "alpha");
    let hit = &c.topics[0];
    assert_eq!(hit.id, "a");
    assert!(hit.model_score.unwrap() > 0.5);
    let model = hit
        .evidence
        .iter()
        .find(|e| e.field.is_none())
        .expect("model evidence");
    assert!(
        model.weight > 0.0 && model.to_string().starts_with("model: +"),
        "{model}"
    );
}

#[test]
fn entities_report_kind_and_offsets_longest_first() {
    let g = Gazetteer::builtin().extended(
        Gazetteer::parse("[org]\n\"Wagner Group\" = [\"PMC Wagner\"]\n", "x.toml").unwrap(),
    );
    let text = "The IRGC and PMC Wagner met in Gaza City; the US and us.";
    let c = Classifier::with_gazetteer(Pack::default_pack(), g, None).classify("", text);
    let got: Vec<_> = c
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind, &text[e.start..e.end]))
        .collect();
    assert_eq!(
        got,
        [
            ("Islamic Revolutionary Guard Corps", EntityKind::Org, "IRGC"),
            ("Wagner Group", EntityKind::Org, "PMC Wagner"),
            ("Gaza City", EntityKind::City, "Gaza City"),
            ("United States", EntityKind::Country, "US"),
        ]
    );
}

#[test]
fn any_name_of_an_entity_gives_its_canonical_name() {
    let g = Gazetteer::builtin();
    assert_eq!(
        g.canonical(" iaea "),
        Some("International Atomic Energy Agency")
    );
    assert_eq!(g.canonical("Islamic Republic of Iran"), Some("Iran"));
    assert_eq!(g.canonical("iran"), Some("Iran"));
    assert_eq!(g.canonical("Atlantis"), None);
}

/// Test helper: reads and compiles a pack file shipped in the repository (the library reads pack
/// files in `config`; tests may read their own).
pub(super) fn load_pack(path: &std::path::Path) -> Result<Pack, PackError> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_pack(&text, &path.display().to_string())
}

#[test]
fn expanded_evidence_shows_exact_terms_without_the_pack_marker() {
    let e = super::expand_evidence(r#"[["=talks","title",0,5,1.0]]"#, "talks resume", "");
    assert_eq!(
        (e[0].term.as_str(), e[0].snippet.as_str()),
        ("talks", "talks resume")
    );
}

#[test]
fn a_model_that_knows_nothing_about_a_text_does_not_veto_a_rare_topics_rule_hit() {
    // "rare" is in 1 of 20 training examples: for a text the model has no features of, its
    // probability is near that share, which is no evidence against the topic. Read as a plain
    // probability it took nearly a whole threshold off and hid the rule hit.
    let mut examples = vec![("ceasefire agreed".to_string(), vec!["rare".to_string()])];
    for i in 0..19 {
        examples.push((format!("ordinary text number{i}"), vec![]));
    }
    let p = pack("[[topic]]\nid = \"rare\"\nthreshold = 2\n[topic.terms]\ntruce = 2.5\n");
    let m = Model::train_with(
        &examples,
        &p.topic_ids(),
        TrainOptions {
            min_df: 1,
            ..TrainOptions::default()
        },
    );
    let raw = m.predict("a truce in the north")[0].1;
    assert!(raw < 0.3, "the model's own probability is low: {raw}");
    let c = Classifier::with_gazetteer(p, Gazetteer::empty(), Some(m.clone()))
        .classify("", "a truce in the north");
    assert_eq!(c.topics.len(), 1, "{c:?}");
    assert_eq!(c.topics[0].id, "rare");
    // And a stored model without priors (older format) keeps reading 0.5 as even.
    let mut json: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("prior");
    let old = Model::from_json(&json.to_string()).unwrap();
    assert_eq!(old.rebased(&[0.25]), vec![0.25]);
    assert!((m.rebased(&[m.prior_of(0)])[0] - 0.5).abs() < 1e-4);
}

#[test]
fn a_model_that_mildly_doubts_a_topic_leaves_a_rule_hit_at_its_threshold() {
    // "north" is in every training text and in none of the positives' that share "truce": the
    // model leans against the topic for a text about the north, but is far from certain.
    let mut examples = vec![
        ("ceasefire agreed".to_string(), vec!["calm".to_string()]),
        ("ceasefire holds".to_string(), vec!["calm".to_string()]),
    ];
    for i in 0..8 {
        examples.push((format!("weather in the north day{i}"), vec![]));
    }
    let rules = "[[topic]]\nid = \"calm\"\nthreshold = 2\n[topic.terms]\ntruce = 2\n";
    let train = |p: &Pack| {
        Model::train_with(
            &examples,
            &p.topic_ids(),
            TrainOptions {
                min_df: 1,
                epochs: 3,
                ..TrainOptions::default()
            },
        )
    };
    let text = "a truce in the north";
    let leaning = pack(rules);
    let m = train(&leaning);
    let q = m.rebased(&m.predict(text).iter().map(|p| p.1).collect::<Vec<_>>())[0];
    assert!(
        q < 0.5 && 2.0 * q - 1.0 > -super::DEFAULT_MODEL_MARGIN,
        "the model should lean mildly against: {q}"
    );
    // Within the default margin the doubt costs nothing: the one core term still tags.
    let c =
        Classifier::with_gazetteer(leaning, Gazetteer::empty(), Some(m.clone())).classify("", text);
    assert_eq!(ids(&c), ["calm"], "{c:?}");
    // Without a margin the same doubt vetoes it.
    let strict = pack(&format!("model_margin = 0\n{rules}"));
    let c = Classifier::with_gazetteer(strict, Gazetteer::empty(), Some(m)).classify("", text);
    assert!(c.topics.is_empty(), "{c:?}");
}

#[test]
fn certainty_counts_only_beyond_the_margin_and_a_margin_of_one_is_refused() {
    use super::rank::beyond_margin;
    assert_eq!(beyond_margin(0.5, 0.7), 0.0);
    assert_eq!(beyond_margin(0.8, 0.7), 0.0);
    assert!((beyond_margin(1.0, 0.7) - 1.0).abs() < 1e-6);
    assert!((beyond_margin(0.0, 0.7) + 1.0).abs() < 1e-6);
    assert!((beyond_margin(0.925, 0.7) - 0.5).abs() < 1e-4);
    assert!((beyond_margin(0.25, 0.0) + 0.5).abs() < 1e-6);
    let e = parse_pack(
        "model_margin = 1\n[[topic]]\nid = \"n\"\n[topic.terms]\nx = 1\n",
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(e.rule.as_deref(), Some("model_margin"));
}

//! The demo's news: a fixed script of fictional geopolitical briefs from two outlets, Wire (an RSS
//! feed) and Gazette (an HTML site), in the order the demo site releases them. Some stories run in
//! both outlets, reworded, so that briefwatch merges them. Plain data: no I/O.

/// The outlet that publishes a brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outlet {
    /// A wire service publishing an RSS feed.
    Wire,
    /// A think-tank style site publishing an HTML listing with one page per brief.
    Gazette,
}

impl Outlet {
    /// The outlet's display name, also the source name in the demo's config.
    pub fn name(self) -> &'static str {
        match self {
            Outlet::Wire => "Wire",
            Outlet::Gazette => "Gazette",
        }
    }
}

/// One brief of the script.
#[derive(Debug, Clone, Copy)]
pub struct ScriptBrief {
    /// Who publishes it.
    pub outlet: Outlet,
    /// The last part of its URL (unique within the outlet).
    pub slug: &'static str,
    /// The headline (no markup, no quotes or ampersands, so that it reads the same escaped).
    pub title: &'static str,
    /// The outlet's own opening sentence; may be empty.
    pub lead: &'static str,
    /// The body, shared word for word by both outlets when they run the same story.
    pub body: &'static str,
}

impl ScriptBrief {
    /// The brief's full text: its lead, then its body.
    pub fn text(&self) -> String {
        if self.lead.is_empty() {
            self.body.to_owned()
        } else {
            format!("{} {}", self.lead, self.body)
        }
    }
}

const PLOT: &str = "Prosecutors in Vienna said on Tuesday that two men had been charged with a plot to \
kill an exiled opposition journalist who lives in the city under police protection. According to the \
indictment, the suspects watched the journalist's home for three weeks, photographed his daily route to \
a radio studio and were paid through a chain of front companies. Iran denies any role in the plot and \
called the charges a fabrication meant to poison relations with Europe. Austria summoned the Iranian \
ambassador and said further arrests could follow.";

const TRUCE: &str = "Mediators announced a seventy-two hour truce between the government and the \
northern militias, starting at dawn on Friday, after four days of talks in Doha. The cease-fire covers \
the front lines around the river crossings, where shelling displaced more than forty thousand people \
this month. Monitors from the African Union will patrol the crossings, and both sides agreed to open two \
corridors for aid convoys. Previous truces collapsed within hours, and commanders on both sides warned \
that any violation would be answered.";

const HOSTAGES: &str = "Eleven aid workers held for five months by an armed group in the Sahel were \
freed on Sunday and flown to Niamey, officials said. The hostages, employees of a medical charity, were \
seized from a clinic near the border in the spring. Negotiators from Qatar and Norway spent weeks on the \
release, which the group said was part of a prisoner exchange. The charity thanked the mediators and \
asked for privacy for the families while the freed staff receive medical care.";

const SANCTIONS: &str = "The European Union adopted a new package of sanctions on Wednesday targeting \
shipping companies accused of moving Russian oil above the price cap. The measures freeze the assets of \
fourteen firms and ban twenty-seven tankers from European ports, and add three banks in Central Asia to \
the list of entities barred from dealing with the bloc. Officials said the package also closes a \
loophole in the export ban on machine tools. Moscow said it would respond to what it called illegal \
restrictions.";

const ELECTION: &str = "Voters in Moldova return to the polls on Sunday for a presidential runoff that \
observers describe as a referendum on the country's path towards the European Union. The incumbent won \
the first round with forty-two percent of the vote, ahead of a rival who favours closer ties with Moscow. \
The electoral commission said it had received reports of vote buying in two regions and referred them \
to prosecutors. International observers will monitor the ballot and publish a preliminary statement \
on Monday.";

/// The script, in release order.
pub const BRIEFS: &[ScriptBrief] = &[
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "vienna-plot-charges",
        title: "Two charged in Vienna over plot to kill exiled journalist",
        lead: "",
        body: PLOT,
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "sanctions-shadow-fleet",
        title: "EU sanctions target shadow fleet tankers and Central Asian banks",
        lead: "",
        body: SANCTIONS,
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "iran-denies-assassination-plot",
        title: "Iran denies assassination plot against dissident in Austria",
        lead: "Tehran rejected on Tuesday the accusation that it was behind a murder plot uncovered in \
Austria.",
        body: PLOT,
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "doha-truce-announced",
        title: "Mediators announce three-day truce after talks in Doha",
        lead: "",
        body: TRUCE,
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "taiwan-strait-drills",
        title: "China holds live-fire drills near Taiwan after arms sale",
        lead: "",
        body: "The Chinese military began two days of live-fire exercises in waters east of Fujian on \
Thursday, days after Washington approved the sale of air defence systems to Taiwan. Beijing said the \
drills were a warning against separatist forces, while Taipei reported thirty aircraft and nine navy \
vessels operating around the island and put its coast guard on alert. Shipping companies were told to \
avoid a zone close to the median line.",
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "ceasefire-river-crossings",
        title: "Ceasefire agreed for northern front as aid corridors open",
        lead: "A fragile pause in the fighting was agreed late on Thursday.",
        body: TRUCE,
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "grid-cyberattack",
        title: "Cyberattack on power grid traced to state-backed hackers",
        lead: "",
        body: "A cyberattack that cut electricity to two hundred thousand homes in western Ukraine last \
week was carried out by a hacking group linked to Russian military intelligence, investigators said. The \
attackers used ransomware as a decoy while malware in the control systems opened breakers at three \
substations. Engineers restored power within six hours by operating the substations by hand, and the \
national cyber agency shared indicators of compromise with European grid operators.",
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "sahel-aid-workers-freed",
        title: "Eleven aid workers freed after five months in captivity",
        lead: "",
        body: HOSTAGES,
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "iaea-inspectors-access",
        title: "IAEA says inspectors denied access to enrichment site",
        lead: "",
        body: "The International Atomic Energy Agency said on Monday that its inspectors had been refused \
access to an enrichment plant for the second time this month, and that it could no longer verify the \
stockpile of uranium enriched to sixty percent. The agency's board meets next week, where European \
members are expected to table a resolution of censure. Officials in Tehran said cooperation would \
continue within the safeguards agreement.",
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "hostages-released-niamey",
        title: "Sahel hostages released in prisoner exchange brokered by Qatar and Norway",
        lead: "The long captivity of a group of medical staff ended at the weekend.",
        body: HOSTAGES,
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "moldova-runoff",
        title: "Moldova heads to presidential runoff seen as vote on EU path",
        lead: "",
        body: ELECTION,
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "sudan-famine-warning",
        title: "UN warns of famine in Darfur as aid convoys stall",
        lead: "",
        body: "The World Food Programme warned on Friday that famine conditions had spread to five more \
localities in Darfur, where aid convoys have been stuck at checkpoints for weeks. The agency said half a \
million people were at risk of starvation before the rainy season cuts the last open roads. It called \
on the warring parties to allow humanitarian access and asked donors for four hundred million dollars to \
fund food deliveries and emergency nutrition for children.",
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "moldova-election-observers",
        title: "Observers ready for Moldova runoff amid vote buying claims",
        lead: "Election monitors arrived in Chisinau before a closely watched second round.",
        body: ELECTION,
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "mali-junta-postpones",
        title: "Mali junta postpones handover to civilian rule again",
        lead: "",
        body: "The military government in Mali said on Wednesday that the transition to civilian rule \
would be extended by three years, citing the security situation in the north. Opposition parties, \
suspended since the coup, called the decision a confiscation of power, and the regional bloc said it \
would consider new measures. The junta also dissolved the independent electoral authority and created a \
commission under the presidency.",
    },
    ScriptBrief {
        outlet: Outlet::Wire,
        slug: "eu-sanctions-package",
        title: "EU adopts new sanctions package on oil shipping",
        lead: "Brussels agreed its latest round of measures on Wednesday.",
        body: SANCTIONS,
    },
    ScriptBrief {
        outlet: Outlet::Gazette,
        slug: "tbilisi-protests",
        title: "Tens of thousands protest in Tbilisi over foreign agents law",
        lead: "",
        body: "Tens of thousands of demonstrators marched through Tbilisi on Saturday night against a law \
that requires organisations receiving foreign funding to register as foreign agents. Police used water \
cannon and tear gas to clear protesters from outside parliament, and the interior ministry said sixty \
people had been detained. The European Union said the law was incompatible with Georgia's candidacy.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_per_outlet_and_titles_need_no_escaping() {
        let mut seen = std::collections::HashSet::new();
        for b in BRIEFS {
            assert!(seen.insert((b.outlet, b.slug)), "{} twice", b.slug);
            assert!(
                !b.title.contains(['&', '<', '>', '"', '\'']),
                "{} has characters that escape differently",
                b.title
            );
        }
        assert!((12..=20).contains(&BRIEFS.len()));
    }

    #[test]
    fn both_outlets_publish_and_some_stories_run_in_both() {
        let shared = BRIEFS
            .iter()
            .filter(|a| a.outlet == Outlet::Wire)
            .filter(|a| {
                BRIEFS
                    .iter()
                    .any(|b| b.outlet == Outlet::Gazette && b.body == a.body)
            })
            .count();
        assert!(shared >= 3, "{shared} stories in both outlets");
    }
}

//! Organizations: the seller's own units, clients, partners, and their group structure.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::text;
use crate::error::{Error, Violations};

pub const TAGS_MAX: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// The seller and its units: their people are the salespeople.
    Own,
    /// A client: with its sub-organizations, an account.
    Client,
    Partner,
    Other,
}

impl OrganizationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationKind::Own => "own",
            OrganizationKind::Client => "client",
            OrganizationKind::Partner => "partner",
            OrganizationKind::Other => "other",
        }
    }

    pub fn from_stored(value: &str) -> Self {
        match value {
            "own" => OrganizationKind::Own,
            "client" => OrganizationKind::Client,
            "partner" => OrganizationKind::Partner,
            _ => OrganizationKind::Other,
        }
    }
}

/// What suggestions match partner preferences against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrganizationProfile)]
pub struct Profile {
    /// Size band, e.g. `sme`, `mid_market`, `enterprise`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub size_band: Option<String>,
    /// Industry, e.g. `insurance`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub industry: Option<String>,
    /// Region, e.g. `dach`, `nordics`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
    /// Free tags such as `iso14001` or `b_corp`: lowercase letters, digits, `_`, `-`, `.`.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    pub profile: Profile,
}

impl NewOrganization {
    pub fn parse(
        name: &str,
        kind: OrganizationKind,
        parent_id: Option<Uuid>,
        profile: Profile,
    ) -> Result<Self, Error> {
        let mut violations = Violations::default();
        let name = violations.check(text::required(name, "/name", text::NAME_MAX));
        let size_band = violations.check(text::optional_line(
            profile.size_band.as_deref(),
            "/profile/size_band",
            64,
        ));
        let industry = violations.check(text::optional_line(
            profile.industry.as_deref(),
            "/profile/industry",
            text::NAME_MAX,
        ));
        let region =
            violations.check(text::optional_line(profile.region.as_deref(), "/profile/region", 64));
        if profile.tags.len() > TAGS_MAX {
            violations.add("/profile/tags", format!("at most {TAGS_MAX} tags"));
        }
        let mut tags = Vec::new();
        for (i, tag) in profile.tags.iter().enumerate() {
            if let Some(tag) = violations.check(text::slug(tag, &format!("/profile/tags/{i}"), 64))
            {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        violations.into_result()?;
        Ok(NewOrganization {
            name: name.unwrap_or_default(),
            kind,
            parent_id,
            profile: Profile {
                size_band: size_band.flatten(),
                industry: industry.flatten(),
                region: region.flatten(),
                tags,
            },
        })
    }
}

//! The catalogue's response bodies, with the field names of the SDK models (Job,
//! Template, Script, ScriptVersion) and the documented limits. Built per request from
//! the seeds and the project id: the catalogue is a handful of entries.

use serde::Serialize;
use serde_json::{Map, Value};

use super::data::{
    CATALOGUE_USER, JobSeed, Kind, NodeSeed, ScriptSeed, TemplateSeed, VersionSeed, id,
};

/// What every catalogue entry says about rate control: none.
#[derive(Serialize)]
struct RateControl {
    have_rate_control: bool,
    time_delay: i64,
    max: i64,
}

const NO_RATE_CONTROL: RateControl = RateControl {
    have_rate_control: false,
    time_delay: 0,
    max: 0,
};

/// No catalogue entry needs an approval.
#[derive(Serialize)]
struct ApproveInfo {
    need_approve: bool,
}

const NO_APPROVAL: ApproveInfo = ApproveInfo {
    need_approve: false,
};

/// `{"elements": […], "total_elements": n}`, the shape of every catalogue list.
#[derive(Serialize)]
pub(crate) struct ListPage<T> {
    pub elements: Vec<T>,
    pub total_elements: usize,
}

#[derive(Serialize)]
struct StepView {
    id: &'static str,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    input: Map<String, Value>,
    ignore_error: bool,
    description: &'static str,
}

#[derive(Serialize)]
pub(crate) struct JobView<'a> {
    id: String,
    name: &'static str,
    description: &'static str,
    create_time: i64,
    create_by: &'static str,
    update_time: i64,
    update_by: &'static str,
    enterprise_project_id: &'static str,
    project_id: &'a str,
    steps: Vec<StepView>,
    parameters: [(); 0],
    rate_control: RateControl,
    approve_info: ApproveInfo,
    is_latest_version: bool,
    version_number: i64,
}

impl<'a> JobView<'a> {
    pub fn new(project_id: &'a str, job: &'static JobSeed) -> Self {
        JobView {
            id: id(project_id, Kind::Job, job.key),
            name: job.name,
            description: job.description,
            create_time: job.create_time,
            create_by: CATALOGUE_USER,
            update_time: job.update_time,
            update_by: CATALOGUE_USER,
            enterprise_project_id: "0",
            project_id,
            steps: job
                .steps
                .iter()
                .map(|&(id, name, kind)| StepView {
                    id,
                    name,
                    kind,
                    input: Map::new(),
                    ignore_error: false,
                    description: name,
                })
                .collect(),
            parameters: [],
            rate_control: NO_RATE_CONTROL,
            approve_info: NO_APPROVAL,
            is_latest_version: true,
            version_number: 1,
        }
    }
}

#[derive(Serialize)]
struct Metadata {
    #[serde(rename = "type")]
    kind: &'static str,
    configuration: Map<String, Value>,
}

#[derive(Serialize)]
struct NodeView {
    id: &'static str,
    name: &'static str,
    task_name: &'static str,
    category: &'static str,
    description: &'static str,
    ignore_error: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_node: Option<&'static str>,
    metadata: Metadata,
}

impl NodeView {
    fn new(node: &'static NodeSeed, parent: Option<&'static NodeSeed>) -> Self {
        NodeView {
            id: node.id,
            name: node.name,
            task_name: node.name,
            category: node.category,
            description: node.description,
            ignore_error: false,
            parent_node: parent.map(|p| p.id),
            metadata: Metadata {
                kind: node.category,
                configuration: Map::new(),
            },
        }
    }
}

/// A template (execution plan), as ListTemplateByJobId lists it and SearchTemplateById
/// returns it.
#[derive(Serialize)]
pub(crate) struct TemplateView<'a> {
    id: String,
    name: &'static str,
    job_id: String,
    job_version: i64,
    version: &'static str,
    project_id: &'a str,
    enterprise_project_id: &'static str,
    create_time: i64,
    create_by: &'static str,
    update_time: i64,
    update_by: &'static str,
    is_collect: bool,
    is_publish: bool,
    need_synchronize: bool,
    share_type: &'static str,
    nodes: Vec<NodeView>,
    parameters: [(); 0],
    steps: [(); 0],
    quote: [(); 0],
    rate_control: RateControl,
    approve_info: ApproveInfo,
}

impl<'a> TemplateView<'a> {
    pub fn new(project_id: &'a str, job: &'static JobSeed, t: &'static TemplateSeed) -> Self {
        let parents = std::iter::once(None).chain(t.nodes.iter().map(Some));
        TemplateView {
            id: id(project_id, Kind::Template, t.key),
            name: t.name,
            job_id: id(project_id, Kind::Job, job.key),
            job_version: 1,
            version: "1",
            project_id,
            enterprise_project_id: "0",
            create_time: t.create_time,
            create_by: CATALOGUE_USER,
            update_time: t.update_time,
            update_by: CATALOGUE_USER,
            is_collect: false,
            is_publish: true,
            need_synchronize: false,
            // Custom plans are private; the built-in (public) ones are not modelled.
            share_type: "private",
            nodes: t
                .nodes
                .iter()
                .zip(parents)
                .map(|(n, p)| NodeView::new(n, p))
                .collect(),
            parameters: [],
            steps: [],
            quote: [],
            rate_control: NO_RATE_CONTROL,
            approve_info: NO_APPROVAL,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ScriptView<'a> {
    id: String,
    name: &'static str,
    description: &'static str,
    script_language: &'static str,
    online_exist_status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    online_id: Option<String>,
    project_id: &'a str,
    enterprise_project_id: &'static str,
    create_time: i64,
    create_by: &'static str,
    update_time: i64,
    update_by: &'static str,
    rate_control: RateControl,
    approve_info: ApproveInfo,
}

impl<'a> ScriptView<'a> {
    pub fn new(project_id: &'a str, s: &'static ScriptSeed) -> Self {
        let online = s.versions.iter().find(|v| v.status_desc == 1);
        ScriptView {
            id: id(project_id, Kind::Script, s.key),
            name: s.name,
            description: s.description,
            script_language: s.language,
            online_exist_status: online.is_some(),
            online_id: online
                .map(|v| id(project_id, Kind::Version, &super::data::version_key(s, v))),
            project_id,
            enterprise_project_id: "0",
            create_time: s.create_time,
            create_by: CATALOGUE_USER,
            update_time: s.update_time,
            update_by: CATALOGUE_USER,
            rate_control: NO_RATE_CONTROL,
            approve_info: NO_APPROVAL,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct VersionView<'a> {
    version_id: String,
    version_number: &'static str,
    script_id: String,
    name: &'static str,
    script_language: &'static str,
    status_desc: u8,
    content: &'static str,
    job_reference_number: i64,
    job_reference_name: [(); 0],
    project_id: &'a str,
    enterprise_project_id: &'static str,
    create_time: i64,
    create_by: &'static str,
    update_time: i64,
    update_by: &'static str,
}

impl<'a> VersionView<'a> {
    pub fn new(project_id: &'a str, s: &'static ScriptSeed, v: &'static VersionSeed) -> Self {
        VersionView {
            version_id: id(project_id, Kind::Version, &super::data::version_key(s, v)),
            version_number: v.number,
            script_id: id(project_id, Kind::Script, s.key),
            name: s.name,
            script_language: s.language,
            status_desc: v.status_desc,
            content: v.content,
            job_reference_number: 0,
            job_reference_name: [],
            project_id,
            enterprise_project_id: "0",
            create_time: v.create_time,
            create_by: CATALOGUE_USER,
            update_time: v.create_time,
            update_by: CATALOGUE_USER,
        }
    }
}

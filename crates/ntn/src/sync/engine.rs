//! The sync engine: for every page of the tree, what changed where (by content, against
//! the base both sides last agreed on), what to do about it, and doing it under the page
//! edit engine's guards.
//!
//! A run: take the folder's lock; finish the creates a crash interrupted (the journal);
//! list the folder; scan Notion ([`super::remote`]); read only the pages whose edit time
//! moved (or that were read in the minute of their last edit, which Notion's rounding
//! cannot settle); then per page:
//!
//! | local \ remote | same              | changed                                 |
//! |----------------|-------------------|-----------------------------------------|
//! | same           | nothing           | pull                                    |
//! | changed        | push (guarded)    | three-way merge: clean → both sides; else conflict markers in the file, Notion untouched |
//!
//! A push re-reads the page right before writing and refuses when it is no longer what
//! the decision was made on; the write is the edit engine's (targeted `update_content`
//! hunks, the lossy-block guard, the deletion guard, a read-back after). New local files
//! are created under their folder's page through a journal (intent, create, id written
//! back, intent cleared), so a crash never makes a second page. A local delete trashes
//! only with `--delete`, and many only with `--yes`. Pages trashed in Notion move their
//! files to `.ntn/trash/`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::layout::{self, Siblings};
use super::local::{self, LocalFile};
use super::remote::{self, ParentRef, Scan};
use super::store::{Entry, Intent, Kind, State, Store};
use crate::error::{Error, ExitCode, Result};
use crate::notion::pages::client::Verdict;
use crate::notion::pages::edit::{self, LossyRefused, ReadIncompletely};
use crate::notion::pages::id::ParentSpec;
use crate::notion::pages::read::{ContentHash, normalize_body, normalize_urls};
use crate::notion::pages::{Document, PageClient, Parent, Read, document, props, threeway};
use crate::output::Ui;
use crate::output::text::clean;

/// What a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Say what changed where; nothing is written on either side.
    Status,
    /// Say what a sync would do; nothing is written.
    Plan,
    Pull,
    Push,
    /// Pull and push.
    Sync,
}

impl Verb {
    fn pulls(self) -> bool {
        matches!(self, Verb::Pull | Verb::Sync)
    }
    fn pushes(self) -> bool {
        matches!(self, Verb::Push | Verb::Sync)
    }
    /// Shows what would happen as if it were a sync.
    fn plans(self) -> bool {
        matches!(self, Verb::Plan | Verb::Status)
    }
}

/// The run's switches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Decide and report, write nothing.
    pub dry_run: bool,
    /// Trash the pages of files deleted locally.
    pub delete: bool,
    /// Allow trashing many pages at once.
    pub yes: bool,
    /// List every page in Notion, not only those edited since the last run.
    pub full: bool,
}

/// A mass delete needs `--yes` past this many pages...
pub const MASS_DELETE: usize = 10;
/// ...or this share of the tree (percent).
pub const MASS_DELETE_PERCENT: usize = 10;

/// One file's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// The file (relative to the folder, `/`-separated).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What changed where: clean, local, remote, both, conflict, lossy, read-only, new,
    /// deleted, remote-new, remote-deleted, moved.
    pub status: &'static str,
    /// What was (or, in a plan or a dry run, would be) done: none, pull, push, merge,
    /// create, trash, move, conflict, refused, kept, failed.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A run's totals.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub pulled: usize,
    pub pushed: usize,
    pub merged: usize,
    pub created: usize,
    pub moved: usize,
    pub trashed: usize,
    pub conflicts: usize,
    pub refused: usize,
    pub failed: usize,
    pub unchanged: usize,
    /// Files left as they are on purpose (a local delete without --delete, a change
    /// the verb does not carry, a conflict waiting for `resolve`).
    pub kept: usize,
    /// Pages whose content was read in this run.
    pub pages_read: usize,
    /// Search requests of the scan.
    pub scan_requests: u64,
    /// The run wrote nothing (status, plan, `--dry-run`).
    pub dry_run: bool,
}

impl Summary {
    /// The exit code the run ends with: conflicts first, then anything refused or failed.
    pub fn exit(&self) -> Option<ExitCode> {
        if self.conflicts > 0 {
            Some(ExitCode::Conflict)
        } else if self.refused + self.failed > 0 {
            Some(ExitCode::Incomplete)
        } else {
            None
        }
    }
}

/// Where events go (the command renders them).
pub type Sink<'a> = dyn FnMut(&Event) + 'a;

/// Called with a page id right before the page is re-read for a write (tests make a
/// colleague's edit land there).
pub type Hook<'a> = dyn Fn(&str) + std::marker::Sync + 'a;

/// How many page reads run at once.
pub const IN_FLIGHT: usize = 3;

/// A sync of one folder.
pub struct Sync<'a> {
    client: &'a PageClient,
    store: Store,
    root: PathBuf,
    state: State,
    ui: &'a Ui,
    opts: Options,
    verb: Verb,
    sink: &'a mut Sink<'a>,
    hook: Option<&'a Hook<'a>>,
    summary: Summary,
    /// The server's time at the start of the run.
    now: Option<String>,
    /// Files found in the folder, by page id.
    files: HashMap<String, LocalFile>,
    /// The state changed since it was saved.
    dirty: bool,
    /// Pages decided on this run (not looked at again).
    handled: HashSet<String>,
    /// Pages an event other than "nothing to do" was given for.
    acted: HashSet<String>,
    /// Pages this run's own writes changed in Notion (a parent that got or lost a
    /// child, a renamed page): read again at the end so the run ends in step.
    refresh: Vec<String>,
}

/// Starts syncing `dir` (new or empty) with the page `root`: pulls the whole tree.
pub fn init<'a>(
    client: &'a PageClient,
    dir: &Path,
    root: &str,
    workspace: Option<&str>,
    opts: Options,
    ui: &'a Ui,
    sink: &'a mut Sink<'a>,
) -> Result<Summary> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| {
            Error::local(format!("cannot read {}", dir.display()))
                .hint("check that the folder exists and is readable")
                .cause(&e)
        })?;
        if entries.next().is_some() {
            return Err(Error::local(format!(
                "{} is not empty: `ntn sync init` pulls into a new or empty folder",
                dir.display()
            ))
            .hint("choose a new folder, or empty this one"));
        }
    } else if !opts.dry_run {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::local(format!("cannot create {}", dir.display())).cause(&e))?;
    }
    let page = client.page(root)?;
    if page["object"] != "page" {
        return Err(Error::usage("`ntn sync init --page` takes a page").hint(
            "give the id or URL of a page (a database's rows sync as a folder under its page)",
        ));
    }
    let title = props::title(&page);
    let name = layout::stem(&title);
    let mut state = State {
        version: 1,
        root: root.to_string(),
        api: client.notion().base().to_string(),
        workspace: workspace.map(str::to_string),
        ..Default::default()
    };
    state.entries.insert(
        root.to_string(),
        Entry {
            kind: Kind::Page,
            path: format!("{name}.md"),
            title,
            ..Default::default()
        },
    );
    if opts.dry_run {
        sink(&Event {
            path: format!("{name}.md"),
            id: Some(root.to_string()),
            status: "remote-new",
            action: "pull",
            detail: Some("and every page under it".into()),
        });
        return Ok(Summary {
            dry_run: true,
            ..Default::default()
        });
    }
    let store = Store::open(dir)?;
    store.save(&state)?;
    let mut s = Sync::open(client, dir, Verb::Pull, opts, ui, sink)?;
    s.run()
}

impl<'a> Sync<'a> {
    /// Opens the sync folder `dir` (or the one it is inside).
    pub fn open(
        client: &'a PageClient,
        dir: &Path,
        verb: Verb,
        opts: Options,
        ui: &'a Ui,
        sink: &'a mut Sink<'a>,
    ) -> Result<Sync<'a>> {
        let root = find_root(dir)?;
        let store = Store::open(&root)?;
        let state = store.load()?;
        if state.api.trim_end_matches('/') != client.notion().base().trim_end_matches('/') {
            return Err(Error::usage(format!(
                "{} syncs with {}, not with {}",
                root.display(),
                clean(&state.api),
                client.notion().base()
            ))
            .hint("use the environment the folder was made with (--env)"));
        }
        Ok(Sync {
            client,
            store,
            root,
            state,
            ui,
            opts,
            verb,
            sink,
            hook: None,
            summary: Summary::default(),
            now: None,
            files: HashMap::new(),
            dirty: false,
            handled: HashSet::new(),
            refresh: Vec::new(),
            acted: HashSet::new(),
        })
    }

    /// The workspace of the token, when known: a folder made with another workspace's
    /// token is refused (its pages would all look deleted).
    pub fn for_workspace(mut self, workspace: Option<&str>) -> Result<Sync<'a>> {
        match (&self.state.workspace, workspace) {
            (Some(mine), Some(given)) if mine != given => {
                return Err(Error::usage(format!(
                    "{} syncs with the workspace {}, not with {}",
                    self.root.display(),
                    clean(mine),
                    clean(given)
                ))
                .hint("use the folder's workspace (NOTION_WORKSPACE_ID, or `ntn login` to it)"));
            }
            (None, Some(given)) => {
                self.state.workspace = Some(given.to_string());
                self.dirty = true;
            }
            _ => {}
        }
        Ok(self)
    }

    /// Calls `hook` with each page id right before it is re-read for a write.
    pub fn with_hook(mut self, hook: &'a Hook<'a>) -> Sync<'a> {
        self.hook = Some(hook);
        self
    }

    /// The folder's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn writes(&self) -> bool {
        !self.opts.dry_run && !self.verb.plans()
    }

    fn emit(
        &mut self,
        path: &str,
        id: Option<&str>,
        status: &'static str,
        action: &'static str,
        detail: Option<String>,
    ) {
        match action {
            "pull" => self.summary.pulled += 1,
            "push" => self.summary.pushed += 1,
            "merge" => self.summary.merged += 1,
            "create" => self.summary.created += 1,
            "move" => self.summary.moved += 1,
            "trash" => self.summary.trashed += 1,
            "conflict" => self.summary.conflicts += 1,
            "refused" => self.summary.refused += 1,
            "failed" => self.summary.failed += 1,
            "kept" => self.summary.kept += 1,
            _ => {}
        }
        if action != "none"
            && let Some(i) = id
        {
            self.acted.insert(i.to_string());
        }
        (self.sink)(&Event {
            path: path.to_string(),
            id: id.map(str::to_string),
            status,
            action,
            detail,
        });
    }

    /// Saves the state (when something changed).
    fn save(&mut self) -> Result<()> {
        if self.dirty && self.writes() {
            self.store.save(&self.state)?;
            self.dirty = false;
        }
        Ok(())
    }

    /// One run of the verb.
    pub fn run(&mut self) -> Result<Summary> {
        let _lock = self.store.lock()?;
        self.summary.dry_run = !self.writes();
        if self.writes() {
            self.recover_journal()?;
        }
        self.scan_local()?;
        let scan = self.scan_remote()?;
        self.check_vanished(&scan)?;
        self.now = scan.started.clone();
        self.summary.scan_requests = scan.requests;
        let work = self.decide_reads(&scan)?;
        self.process(work, &scan)?;
        self.local_only()?;
        if self.verb.pushes() || self.verb.plans() {
            self.creates()?;
            self.deletes()?;
        }
        if self.writes() && !self.refresh.is_empty() {
            let mut seen = HashSet::new();
            let again: VecDeque<Item> = std::mem::take(&mut self.refresh)
                .into_iter()
                .filter(|id| seen.insert(id.clone()))
                .filter_map(|id| {
                    let e = self.state.entries.get(&id)?;
                    (e.kind != Kind::Database && e.conflict.is_none()).then(|| Item {
                        id: id.clone(),
                        parent: e.parent.clone(),
                        kind: e.kind,
                        page: None,
                    })
                })
                .collect();
            for i in &again {
                self.handled.remove(&i.id);
            }
            // Read afresh: the scan's objects predate this run's own writes.
            self.process(again, &Scan::default())?;
        }
        self.summary.unchanged = self
            .state
            .entries
            .iter()
            .filter(|(id, e)| e.kind != Kind::Database && !self.acted.contains(*id))
            .count();
        if self.writes() {
            if scan.complete {
                self.state.scanned = scan.seen.len() as u64;
            }
            if let Some(t) = &scan.started {
                self.state.watermark = Some(t.clone());
            }
            self.dirty = true;
            self.save()?;
            let keep: std::collections::BTreeSet<String> = self
                .state
                .entries
                .values()
                .flat_map(|e| e.base.iter().chain(e.conflict.iter()).cloned())
                .collect();
            let _ = self.store.gc(&keep);
        }
        Ok(self.summary.clone())
    }

    // --- the folder ---------------------------------------------------------------

    fn scan_local(&mut self) -> Result<()> {
        let scan = local::scan(&self.root)?;
        for (path, why) in &scan.skipped {
            self.ui
                .warn(format_args!("skipped {}: {}", clean(path), why));
        }
        let dups = local::duplicates(&scan.files);
        if !dups.is_empty() {
            let list: Vec<String> = dups
                .iter()
                .map(|(id, paths)| format!("{id} in {}", paths.join(", ")))
                .collect();
            return Err(Error::local(format!(
                "several files say they are the same page: {}",
                clean(&list.join("; "))
            ))
            .hint("a copied file keeps its notion_id: remove the `notion_id:` line from the copy to make it a new page"));
        }
        for mut f in scan.files {
            f.text = super::assets::rebase(&f.text, 0);
            let key = f
                .notion_id
                .clone()
                .unwrap_or_else(|| format!("new:{}", f.rel));
            self.files.insert(key, f);
        }
        Ok(())
    }

    /// The folder a page's children go in (`""` is the root), if it has one.
    fn folder_of(&self, id: &str) -> Option<String> {
        if id == self.state.root {
            return Some(String::new());
        }
        let e = self.state.entries.get(id)?;
        match e.kind {
            Kind::Database => Some(e.path.clone()),
            _ => owned_folder(&e.path),
        }
    }

    /// The page or database whose folder `dir` is.
    fn owner_of(&self, dir: &str) -> Option<String> {
        if dir.is_empty() {
            return Some(self.state.root.clone());
        }
        self.state
            .entries
            .iter()
            .find(|(id, _)| self.folder_of(id).as_deref() == Some(dir))
            .map(|(id, _)| id.clone())
    }

    // --- Notion -------------------------------------------------------------------

    fn scan_remote(&mut self) -> Result<Scan> {
        let full = self.opts.full
            || self.state.watermark.is_none()
            || self.state.scanned <= remote::FULL_SCAN_MAX;
        let stop = if full {
            None
        } else {
            self.state
                .watermark
                .as_deref()
                .and_then(remote::stop_before)
        };
        let tracked: HashSet<String> = self.state.entries.keys().cloned().collect();
        let sources: HashSet<String> = self
            .state
            .entries
            .values()
            .filter_map(|e| e.data_source.clone())
            .collect();
        let keep = |p: &Value| {
            let id = p["id"].as_str().unwrap_or("");
            tracked.contains(id)
                || match ParentRef::of(p) {
                    ParentRef::Page(x) => tracked.contains(&x),
                    ParentRef::DataSource(x) => sources.contains(&x),
                    _ => false,
                }
        };
        remote::scan(self.client.notion(), stop.as_deref(), &keep)
    }

    /// Many tracked pages missing from a complete listing is more likely a token that
    /// cannot see them (another workspace, a connection without access) than pages
    /// trashed in Notion: refused without --yes before anything moves.
    fn check_vanished(&self, scan: &Scan) -> Result<()> {
        if !scan.complete || self.opts.yes {
            return Ok(());
        }
        let pages: Vec<&String> = self
            .state
            .entries
            .iter()
            .filter(|(_, e)| e.kind != Kind::Database && e.base.is_some())
            .map(|(id, _)| id)
            .collect();
        let gone = pages
            .iter()
            .filter(|id| !scan.seen.contains_key(**id))
            .count();
        if gone > 1 && (gone > MASS_DELETE || gone * 100 > pages.len() * MASS_DELETE_PERCENT) {
            return Err(Error::usage(format!(
                "{gone} of the {} synced pages are not visible in Notion",
                pages.len()
            ))
            .hint("check that the token is for the folder's workspace and can see the pages (`ntn whoami`); if they were really trashed, pass --yes to move their files to .ntn/trash/"));
        }
        Ok(())
    }

    /// Which pages must be read: tracked ones whose edit time or title moved (or that
    /// were never settled), new ones under tracked pages, and tracked ones a complete
    /// scan did not list (trashed, moved out, or not indexed yet).
    fn decide_reads(&mut self, scan: &Scan) -> Result<VecDeque<Item>> {
        let mut work = VecDeque::new();
        let sources: HashMap<String, String> = self
            .state
            .entries
            .iter()
            .filter_map(|(id, e)| Some((e.data_source.clone()?, id.clone())))
            .collect();
        let ids: Vec<String> = self.state.entries.keys().cloned().collect();
        for id in ids {
            let e = &self.state.entries[&id];
            if e.kind == Kind::Database {
                continue;
            }
            match scan.seen.get(&id) {
                Some(seen) => {
                    let moved = e.last_edited_time.as_deref() != Some(&seen.last_edited_time);
                    let reparented = match &seen.parent {
                        ParentRef::Page(p) => {
                            id != self.state.root && e.parent.as_deref() != Some(p)
                        }
                        _ => false,
                    };
                    if moved
                        || reparented
                        || !e.settled
                        || e.base.is_none()
                        || seen.title != e.title
                    {
                        let parent = match &seen.parent {
                            ParentRef::Page(p)
                                if id != self.state.root && self.state.entries.contains_key(p) =>
                            {
                                Some(p.clone())
                            }
                            _ => e.parent.clone(),
                        };
                        work.push_back(Item {
                            id: id.clone(),
                            parent,
                            kind: e.kind,
                            page: None,
                        });
                    }
                }
                None if scan.complete || e.base.is_none() => work.push_back(Item {
                    id: id.clone(),
                    parent: e.parent.clone(),
                    kind: e.kind,
                    page: None,
                }),
                None => {}
            }
        }
        for seen in scan.seen.values() {
            if self.state.entries.contains_key(&seen.id) {
                continue;
            }
            let parent = match &seen.parent {
                ParentRef::Page(p) if self.state.entries.contains_key(p) => (p.clone(), Kind::Page),
                ParentRef::DataSource(ds) => match sources.get(ds) {
                    Some(db) => (db.clone(), Kind::Row),
                    None => continue,
                },
                _ => continue,
            };
            work.push_back(Item {
                id: seen.id.clone(),
                parent: Some(parent.0),
                kind: parent.1,
                page: None,
            });
        }
        Ok(work)
    }

    /// Reads the queued pages (a few at a time) and handles each; pages found inside
    /// them join the queue.
    fn process(&mut self, mut work: VecDeque<Item>, scan: &Scan) -> Result<()> {
        let mut queued: HashSet<String> = work.iter().map(|i| i.id.clone()).collect();
        let total_hint = work.len();
        let progress = (self.ui.stderr_is_tty() && total_hint > 5)
            .then(|| crate::output::progress::Progress::new(self.ui, "reading pages", None));
        while !work.is_empty() {
            // Page objects come from the scan when the batch is read (not kept in the
            // queue: memory stays flat in the size of the tree).
            let batch: Vec<Item> = (0..IN_FLIGHT * 4)
                .map_while(|_| work.pop_front())
                .map(|mut it| {
                    if it.page.is_none() {
                        it.page = scan.seen.get(&it.id).and_then(|s| s.object());
                    }
                    it
                })
                .collect();
            let client = self.client;
            let ui = self.ui;
            let results: Vec<(Item, Result<Read>)> = std::thread::scope(|s| {
                let chunks: Vec<Vec<Item>> = chunk(batch, IN_FLIGHT);
                let handles: Vec<_> = chunks
                    .into_iter()
                    .map(|items| {
                        s.spawn(move || {
                            items
                                .into_iter()
                                .map(|it| {
                                    let r = client.read_with(&it.id, it.page.clone(), ui);
                                    (it, r)
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for (item, read) in results {
                if let Some(p) = &progress {
                    p.add(1);
                }
                let read = match read {
                    Ok(r) => r,
                    Err(e) if is_gone(&e) => {
                        self.remote_gone(&item.id, None)?;
                        continue;
                    }
                    Err(e) if e.exit_code() == ExitCode::Interrupted => {
                        // What was done so far is kept: the next run goes on from there.
                        self.save()?;
                        return Err(e);
                    }
                    Err(e) => {
                        let path = self.path_of(&item.id);
                        self.emit(
                            &path,
                            Some(&item.id),
                            "remote",
                            "failed",
                            Some(e.message().to_string()),
                        );
                        continue;
                    }
                };
                self.summary.pages_read += 1;
                if read.page["in_trash"] == true || read.page["archived"] == true {
                    self.remote_gone(&item.id, Some(&read.page))?;
                    continue;
                }
                let kids = if item.kind == Kind::Page {
                    read.child_objects()
                } else {
                    Vec::new()
                };
                let parent = item
                    .parent
                    .clone()
                    .or_else(|| self.parent_of_page(&read.page));
                if let Err(e) = self.handle(&item, parent, read) {
                    if e.exit_code() == ExitCode::Interrupted {
                        self.save()?;
                        return Err(e);
                    }
                    let path = self.path_of(&item.id);
                    self.emit(
                        &path,
                        Some(&item.id),
                        "remote",
                        "failed",
                        Some(e.message().to_string()),
                    );
                }
                if !self.state.entries.contains_key(&item.id) {
                    // Gone, or not placed (a dry run): its children are not looked at.
                    if self.writes() {
                        continue;
                    }
                }
                // Children named in the page: new ones are read next.
                if item.kind == Kind::Page {
                    for child in kids {
                        if queued.contains(&child.id) {
                            continue;
                        }
                        match self.state.entries.get(&child.id) {
                            Some(e) if e.parent.as_deref() == Some(&item.id) => continue,
                            Some(_) => {
                                // A tracked page now under this one: moved in Notion.
                                queued.insert(child.id.clone());
                                work.push_back(Item {
                                    id: child.id.clone(),
                                    parent: Some(item.id.clone()),
                                    kind: Kind::Page,
                                    page: None,
                                });
                            }
                            None if child.kind == "page" => {
                                queued.insert(child.id.clone());
                                work.push_back(Item {
                                    id: child.id.clone(),
                                    parent: Some(item.id.clone()),
                                    kind: Kind::Page,
                                    page: None,
                                });
                            }
                            None => {
                                queued.insert(child.id.clone());
                                for row in self.new_database(&child.id, &child.title, &item.id)? {
                                    queued.insert(row.id.clone());
                                    work.push_back(row);
                                }
                            }
                        }
                    }
                }
                self.save_now_and_then()?;
            }
        }
        if let Some(p) = progress {
            p.finish();
        }
        Ok(())
    }

    fn save_now_and_then(&mut self) -> Result<()> {
        // Every 50 pages: a crash loses little (the next run finds files and pages in
        // step and adopts them), and a big pull does not rewrite its state per page.
        if self.dirty
            && (self.summary.pulled + self.summary.pushed + self.summary.merged).is_multiple_of(50)
        {
            self.save()?;
        }
        Ok(())
    }

    /// A page's parent in the tree from its object (page or data source parents only).
    fn parent_of_page(&self, page: &Value) -> Option<String> {
        match ParentRef::of(page) {
            ParentRef::Page(p) if self.state.entries.contains_key(&p) => Some(p),
            ParentRef::DataSource(ds) => self
                .state
                .entries
                .iter()
                .find(|(_, e)| e.data_source.as_deref() == Some(&ds))
                .map(|(id, _)| id.clone()),
            _ => None,
        }
    }

    /// A child database met in a page: tracked, with its rows queued.
    fn new_database(&mut self, id: &str, title: &str, parent: &str) -> Result<Vec<Item>> {
        let db = match self.client.database(id) {
            Ok(d) => d,
            Err(e) => {
                self.ui.warn(format_args!(
                    "skipped the database {:?}: {}",
                    clean(title),
                    e.message()
                ));
                return Ok(Vec::new());
            }
        };
        let sources = db["data_sources"].as_array().cloned().unwrap_or_default();
        let Some(ds) = sources
            .first()
            .and_then(|d| d["id"].as_str())
            .map(str::to_string)
        else {
            return Ok(Vec::new());
        };
        if sources.len() > 1 {
            self.ui.warn(format_args!(
                "the database {:?} has {} data sources: only the first is synced",
                clean(title),
                sources.len()
            ));
        }
        let folder = self.place(id, parent, title, true)?;
        self.state.entries.insert(
            id.to_string(),
            Entry {
                kind: Kind::Database,
                path: folder.clone(),
                parent: Some(parent.to_string()),
                title: title.to_string(),
                data_source: Some(ds.clone()),
                ..Default::default()
            },
        );
        self.dirty = true;
        if self.writes() {
            let abs = self.abs(&folder)?;
            std::fs::create_dir_all(&abs)
                .map_err(|e| Error::local(format!("cannot create {}", abs.display())).cause(&e))?;
        }
        let mut rows = Vec::new();
        // Every row, past Notion's 10,000-row limit (windows on created_time).
        let mut listing =
            crate::notion::datasources::Query::default().run(self.client.notion(), &ds, None)?;
        while let Some(batch) = listing.next_batch()? {
            for raw in batch {
                let Ok(row) = serde_json::from_str::<Value>(raw.get()) else {
                    continue;
                };
                let Some(rid) = row["id"].as_str().map(str::to_string) else {
                    continue;
                };
                rows.push(Item {
                    id: rid,
                    parent: Some(id.to_string()),
                    kind: Kind::Row,
                    page: Some(row),
                });
            }
        }
        if let Some(why) = listing.incomplete() {
            // Rows left out are not synced: the run ends incomplete (exit 3).
            self.emit(
                &folder,
                Some(id),
                "remote",
                "failed",
                Some(format!(
                    "Notion gave only part of the database's rows ({why}): the others are not synced"
                )),
            );
        }
        Ok(rows)
    }

    fn path_of(&self, id: &str) -> String {
        self.files
            .get(id)
            .map(|f| f.rel.clone())
            .or_else(|| self.state.entries.get(id).map(|e| e.path.clone()))
            .unwrap_or_else(|| id.to_string())
    }

    fn abs(&self, rel: &str) -> Result<PathBuf> {
        layout::abs(&self.root, rel).ok_or_else(|| {
            Error::local(format!(
                "{} is not a path inside the sync folder",
                clean(rel)
            ))
        })
    }

    /// Chooses the path of a page (or a database's folder) new to the folder, under
    /// `parent`; the parent's file moves into a folder of its own when it gets its
    /// first child.
    fn place(&mut self, id: &str, parent: &str, title: &str, is_folder: bool) -> Result<String> {
        let folder = self.ensure_folder(parent)?;
        let mut sib = Siblings::new();
        if folder.is_empty() {
            sib.reserve("assets");
        }
        for (oid, e) in &self.state.entries {
            if oid == id {
                continue;
            }
            let rel = self
                .files
                .get(oid)
                .map(|f| f.rel.as_str())
                .unwrap_or(&e.path);
            if let Some(name) = child_name(&folder, rel) {
                sib.reserve(&name);
            }
        }
        // Files not (yet) tracked, and anything else on disk there, are never replaced.
        for (key, f) in &self.files {
            if key == id {
                continue;
            }
            if let Some(name) = child_name(&folder, &f.rel) {
                sib.reserve(&name);
            }
        }
        let own = self
            .files
            .get(id)
            .map(|f| f.rel.clone())
            .or_else(|| self.state.entries.get(id).map(|e| e.path.clone()))
            .and_then(|rel| child_name(&folder, &rel));
        if let Ok(rd) = std::fs::read_dir(self.abs(&folder).unwrap_or_else(|_| self.root.clone())) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let name = name.strip_suffix(".md").unwrap_or(&name);
                if own.as_deref() != Some(name) {
                    sib.reserve(name);
                }
            }
        }
        let name = sib.claim(&layout::stem(title), id);
        let base = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        Ok(if is_folder {
            format!("{base}{name}")
        } else {
            format!("{base}{name}.md")
        })
    }

    /// The folder of `id`'s children, making one (moving its file into it) if needed.
    fn ensure_folder(&mut self, id: &str) -> Result<String> {
        if let Some(f) = self.folder_of(id) {
            return Ok(f);
        }
        let Some(e) = self.state.entries.get(id) else {
            return Ok(String::new());
        };
        let old = self
            .files
            .get(id)
            .map(|f| f.rel.clone())
            .unwrap_or(e.path.clone());
        let stem = old
            .rsplit('/')
            .next()
            .unwrap_or(&old)
            .trim_end_matches(".md")
            .to_string();
        let dir = match old.rfind('/') {
            Some(i) => format!("{}/{stem}", &old[..i]),
            None => stem.clone(),
        };
        let new = format!("{dir}/{stem}.md");
        if self.writes() {
            let (from, to) = (self.abs(&old)?, self.abs(&new)?);
            std::fs::create_dir_all(self.abs(&dir)?)
                .map_err(|e| Error::local(format!("cannot create {dir}")).cause(&e))?;
            if from.exists() {
                std::fs::rename(&from, &to).map_err(|e| {
                    Error::local(format!("cannot move {} to {}", clean(&old), clean(&new)))
                        .cause(&e)
                })?;
                self.relink(&new)?;
            }
        }
        if let Some(f) = self.files.get_mut(id) {
            f.rel = new.clone();
        }
        if let Some(e) = self.state.entries.get_mut(id) {
            e.path = new;
        }
        self.dirty = true;
        Ok(dir)
    }

    // --- one page -------------------------------------------------------------------

    /// Decides and acts on one page read from Notion.
    fn handle(&mut self, item: &Item, parent: Option<String>, read: Read) -> Result<()> {
        let id = item.id.clone();
        self.handled.insert(id.clone());
        let now = self.now.clone();
        let edited = read.page["last_edited_time"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let settled = remote::settled(&edited, now.as_deref());
        let title = read.title();
        let kind = self.state.entries.get(&id).map_or(item.kind, |e| e.kind);
        let remote_text = self.render_page(&read, kind)?;
        let remote_hash = read.content_hash();
        let read_only = (!read.is_complete())
            .then(|| format!("{} blocks could not be read", read.missing.len()));

        let Some(entry) = self.state.entries.get(&id).cloned() else {
            // New in Notion.
            let Some(parent) = parent else {
                return Ok(());
            };
            let path = self.place(&id, &parent, &title, false)?;
            if self.verb.pulls() || self.verb.plans() {
                if self.writes() {
                    self.write_file(&path, &remote_text, None)?;
                    let base = self.store.put(&remote_text)?;
                    self.state.entries.insert(
                        id.clone(),
                        Entry {
                            kind,
                            path: path.clone(),
                            parent: Some(parent),
                            title,
                            last_edited_time: Some(edited),
                            settled,
                            base: Some(base),
                            remote_hash: Some(remote_hash),
                            local_hash: Some(local::hash(
                                super::assets::rebase(&remote_text, super::assets::depth(&path))
                                    .as_bytes(),
                            )),
                            read_only,
                            ..Default::default()
                        },
                    );
                    self.on_disk(&id, &path, &remote_text);
                    self.dirty = true;
                }
                self.emit(&path, Some(&id), "remote-new", "pull", None);
            } else {
                self.emit(
                    &path,
                    Some(&id),
                    "remote-new",
                    "kept",
                    Some("pull to get it".into()),
                );
            }
            return Ok(());
        };

        if entry.base.is_none() && !self.files.contains_key(&id) {
            // Tracked but never pulled (the root of a new sync folder).
            if self.verb.pulls() || self.verb.plans() {
                if self.writes() {
                    self.write_file(&entry.path, &remote_text, None)?;
                    self.accept(
                        &id,
                        &entry.path,
                        &remote_text,
                        &remote_hash,
                        &edited,
                        settled,
                        read_only,
                    )?;
                }
                self.emit(&entry.path, Some(&id), "remote-new", "pull", None);
            }
            return Ok(());
        }
        // Where the page is now, in Notion and locally.
        let local = self.files.get(&id).cloned();
        let base_text = match &entry.base {
            Some(b) => self.store.get(b)?,
            None => None,
        };
        let remote_moved = parent
            .as_ref()
            .is_some_and(|p| Some(p) != entry.parent.as_ref())
            || title != entry.title;

        if let Some(c) = &entry.conflict {
            let path = local.as_ref().map_or(entry.path.clone(), |f| f.rel.clone());
            let _ = c;
            self.emit(
                &path,
                Some(&id),
                "conflict",
                "kept",
                Some("fix the file, then `ntn sync resolve FILE`".into()),
            );
            return Ok(());
        }
        let Some(local) = local else {
            // Deleted locally (handled with the other deletes) unless Notion changed it.
            let changed = base_text
                .as_deref()
                .is_none_or(|b| !same_text(b, &remote_text));
            if changed {
                if self.verb.pulls() {
                    if self.writes() {
                        self.write_file(&entry.path, &remote_text, None)?;
                        self.accept(
                            &id,
                            &entry.path,
                            &remote_text,
                            &remote_hash,
                            &edited,
                            settled,
                            read_only,
                        )?;
                    }
                    self.emit(
                        &entry.path,
                        Some(&id),
                        "both",
                        "pull",
                        Some("deleted locally, but changed in Notion: restored".into()),
                    );
                } else {
                    self.emit(
                        &entry.path,
                        Some(&id),
                        "both",
                        "kept",
                        Some("deleted locally, but changed in Notion".into()),
                    );
                }
            } else {
                self.mark_seen(&id, &edited, settled);
            }
            return Ok(());
        };
        let local_changed = entry.local_hash.as_deref() != Some(&local.bytes_hash)
            && base_text
                .as_deref()
                .is_none_or(|b| !same_text(b, &local.text));
        let remote_changed = entry.remote_hash.as_deref() != Some(&remote_hash)
            && base_text
                .as_deref()
                .is_none_or(|b| !same_text(b, &remote_text));

        // A move or rename in Notion moves the file, unless it moved locally too.
        let mut path = local.rel.clone();
        if remote_moved
            && local.rel == entry.path
            && (self.verb.pulls() || self.verb.plans())
            && let Some(p) = parent.clone()
        {
            let kind_is_folder = owned_folder(&entry.path).is_some();
            let new = self.place(&id, &p, &title, kind_is_folder)?;
            let new = if kind_is_folder {
                let stem = new.rsplit('/').next().unwrap_or(&new).to_string();
                format!("{new}/{stem}.md")
            } else {
                new
            };
            if new != entry.path {
                self.move_local(&id, &entry.path, &new)?;
                self.emit(
                    &new,
                    Some(&id),
                    "moved",
                    "move",
                    Some(format!("moved or renamed in Notion (was {})", entry.path)),
                );
                path = new;
            }
            if self.writes()
                && let Some(e) = self.state.entries.get_mut(&id)
            {
                e.parent = Some(p);
                e.title = title.clone();
                self.dirty = true;
            }
        }

        match (local_changed, remote_changed) {
            (false, false) => {
                self.mark_seen(&id, &edited, settled);
                if let Some(e) = self.state.entries.get_mut(&id) {
                    e.remote_hash = Some(remote_hash);
                    e.read_only = read_only;
                }
                self.emit(&path, Some(&id), "clean", "none", None);
            }
            (false, true) => {
                if self.verb.pulls() || self.verb.plans() {
                    if self.writes() {
                        self.write_file(&path, &remote_text, Some(&local.bytes_hash))?;
                        self.accept(
                            &id,
                            &path,
                            &remote_text,
                            &remote_hash,
                            &edited,
                            settled,
                            read_only,
                        )?;
                    }
                    self.emit(&path, Some(&id), "remote", "pull", None);
                } else {
                    self.emit(
                        &path,
                        Some(&id),
                        "remote",
                        "kept",
                        Some("pull to get it".into()),
                    );
                }
            }
            (true, false) => {
                if let Some(why) = &read_only {
                    self.emit(&path, Some(&id), "read-only", "refused", Some(format!("the page could not be read completely ({why}): a write could lose what is missing")));
                    return Ok(());
                }
                if self.verb.pushes() || self.verb.plans() {
                    self.push(&id, &path, &local, &read, &remote_text, None)?;
                } else {
                    self.mark_seen(&id, &edited, settled);
                    self.emit(
                        &path,
                        Some(&id),
                        "local",
                        "kept",
                        Some("push to send it".into()),
                    );
                }
            }
            (true, true) => {
                let base = base_text.unwrap_or_default();
                let merged = threeway::merge(&base, &norm(&local.text), &norm(&remote_text));
                if let Some(text) = merged.clean.clone() {
                    if self.verb == Verb::Pull {
                        if self.writes() {
                            self.write_file(&path, &text, Some(&local.bytes_hash))?;
                            self.accept(
                                &id,
                                &path,
                                &remote_text,
                                &remote_hash,
                                &edited,
                                settled,
                                read_only,
                            )?;
                            // The local side's changes stay local (to push): the file
                            // is compared with its base next time.
                            if let Some(e) = self.state.entries.get_mut(&id) {
                                e.local_hash = None;
                            }
                            self.on_disk(&id, &path, &text);
                        }
                        self.emit(
                            &path,
                            Some(&id),
                            "both",
                            "merge",
                            Some("merged into the file; push to send your side".into()),
                        );
                    } else if self.verb == Verb::Push {
                        self.emit(
                            &path,
                            Some(&id),
                            "both",
                            "refused",
                            Some("changed in Notion too: run `ntn sync` to merge".into()),
                        );
                    } else {
                        if let Some(why) = &read_only {
                            self.emit(
                                &path,
                                Some(&id),
                                "read-only",
                                "refused",
                                Some(format!("the page could not be read completely ({why})")),
                            );
                            return Ok(());
                        }
                        let mut merged_file = local.clone();
                        merged_file.text = text;
                        self.push(
                            &id,
                            &path,
                            &merged_file,
                            &read,
                            &remote_text,
                            Some(&local.bytes_hash),
                        )?;
                    }
                } else {
                    let text = threeway::with_markers(&merged, ("local", "notion"));
                    if self.writes() && (self.verb.pulls()) {
                        self.write_file(&path, &text, Some(&local.bytes_hash))?;
                        let remote_obj = self.store.put(&remote_text)?;
                        if let Some(e) = self.state.entries.get_mut(&id) {
                            e.conflict = Some(remote_obj);
                            e.conflict_hash = Some(remote_hash);
                            e.local_hash = None;
                        }
                        self.on_disk(&id, &path, &text);
                        self.dirty = true;
                    }
                    let how = if self.writes() && self.verb.pulls() {
                        "conflict markers written into the file; Notion untouched; fix it, then `ntn sync resolve FILE`"
                    } else {
                        "the same lines changed on both sides"
                    };
                    self.emit(&path, Some(&id), "conflict", "conflict", Some(how.into()));
                }
            }
        }
        Ok(())
    }

    /// The page's record after its file and Notion agree on `text`.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        id: &str,
        path: &str,
        text: &str,
        remote_hash: &str,
        edited: &str,
        settled: bool,
        read_only: Option<String>,
    ) -> Result<()> {
        let base = self.store.put(text)?;
        if let Some(e) = self.state.entries.get_mut(id) {
            e.base = Some(base);
            e.remote_hash = Some(remote_hash.to_string());
            e.local_hash = Some(local::hash(
                super::assets::rebase(text, super::assets::depth(path)).as_bytes(),
            ));
            e.last_edited_time = Some(edited.to_string());
            e.settled = settled;
            e.read_only = read_only;
            e.lossy.clear();
        }
        self.on_disk(id, path, text);
        self.dirty = true;
        Ok(())
    }

    /// Records that the file of `id` at `path` now holds `text` (as this run wrote it).
    /// The text itself is kept only when the file differs from its base (a merge, a
    /// conflict): a file in step is recognised by its hash, and a pull of a big tree
    /// does not keep every page in memory.
    fn on_disk(&mut self, id: &str, path: &str, text: &str) {
        let in_step = self
            .state
            .entries
            .get(id)
            .is_some_and(|e| e.local_hash.is_some());
        let bytes_hash =
            local::hash(super::assets::rebase(text, super::assets::depth(path)).as_bytes());
        self.files.insert(
            id.to_string(),
            LocalFile {
                rel: path.to_string(),
                bytes_hash,
                notion_id: Some(id.to_string()),
                text: if in_step {
                    String::new()
                } else {
                    text.to_string()
                },
            },
        );
    }

    fn mark_seen(&mut self, id: &str, edited: &str, settled: bool) {
        if let Some(e) = self.state.entries.get_mut(id) {
            e.last_edited_time = Some(edited.to_string());
            e.settled = settled;
            self.dirty = true;
        }
    }

    /// Writes a file of the folder; `expect` is the hash its bytes must still have (the
    /// user may have saved it since it was read: then it is left alone).
    fn write_file(&mut self, rel: &str, text: &str, expect: Option<&str>) -> Result<()> {
        let abs = self.abs(rel)?;
        if let Some(h) = expect {
            let now = std::fs::read(&abs).ok().map(|b| local::hash(&b));
            if now.as_deref() != Some(h) {
                return Err(Error::local(format!(
                    "{} changed while ntn sync was running; left as it is",
                    clean(rel)
                ))
                .hint("run `ntn sync` again"));
            }
        }
        super::store::write_doc(
            &abs,
            super::assets::rebase(text, super::assets::depth(rel)).as_bytes(),
        )
    }

    /// Rewrites the asset links of a file that moved to `rel` for its new depth.
    fn relink(&self, rel: &str) -> Result<()> {
        let abs = self.abs(rel)?;
        let Ok(text) = std::fs::read_to_string(&abs) else {
            return Ok(());
        };
        let new = super::assets::rebase(&text, super::assets::depth(rel));
        if new != text {
            super::store::write_doc(&abs, new.as_bytes())?;
        }
        Ok(())
    }

    /// Relinks every Markdown file under the folder `dir`.
    fn relink_all(&self, dir: &str) -> Result<()> {
        let mut stack = vec![dir.to_string()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(self.abs(&d)?) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = format!("{d}/{name}");
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(rel),
                    Ok(t) if t.is_file() && name.ends_with(".md") => self.relink(&rel)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The file text of a page read (hosted files as links to `assets/`, downloaded
    /// when the run writes).
    fn render_page(&mut self, read: &Read, kind: Kind) -> Result<String> {
        let fetch = self.writes().then_some(self.client);
        let mut loc = super::assets::Localizer {
            root: &self.root,
            map: &mut self.state.assets,
            fetch,
            downloaded: 0,
            failed: Vec::new(),
        };
        let body = loc.localize(&read.markdown, "")?;
        if loc.downloaded > 0 {
            self.dirty = true;
        }
        if let Some(why) = loc.failed.first() {
            self.ui.warn(format_args!(
                "{} file{} of {:?} could not be downloaded ({}): linked to Notion instead, tried again next time",
                loc.failed.len(),
                if loc.failed.len() == 1 { "" } else { "s" },
                clean(&read.title()),
                clean(why)
            ));
        }
        render_body(read, kind, &body)
    }

    fn move_local(&mut self, id: &str, from: &str, to: &str) -> Result<()> {
        let owns = owned_folder(from);
        if self.writes() {
            match &owns {
                Some(dir) => {
                    let new_dir = owned_folder(to).unwrap_or_else(|| to.to_string());
                    let (a, b) = (self.abs(dir)?, self.abs(&new_dir)?);
                    if let Some(p) = b.parent() {
                        let _ = std::fs::create_dir_all(p);
                    }
                    std::fs::rename(&a, &b).map_err(|e| {
                        Error::local(format!("cannot move {} to {}", clean(dir), clean(&new_dir)))
                            .cause(&e)
                    })?;
                    let inner_old =
                        format!("{new_dir}/{}", from.rsplit('/').next().unwrap_or(from));
                    if inner_old != to {
                        std::fs::rename(self.abs(&inner_old)?, self.abs(to)?).map_err(|e| {
                            Error::local(format!("cannot rename {}", clean(&inner_old))).cause(&e)
                        })?;
                    }
                    self.relink_all(&new_dir)?;
                    // Everything under the folder moved with it.
                    let prefix = format!("{dir}/");
                    for e in self.state.entries.values_mut() {
                        if let Some(rest) = e.path.strip_prefix(&prefix) {
                            e.path = format!("{new_dir}/{rest}");
                        }
                    }
                    for f in self.files.values_mut() {
                        if let Some(rest) = f.rel.strip_prefix(&prefix) {
                            f.rel = format!("{new_dir}/{rest}");
                        }
                    }
                }
                None => {
                    let (a, b) = (self.abs(from)?, self.abs(to)?);
                    if let Some(p) = b.parent() {
                        let _ = std::fs::create_dir_all(p);
                    }
                    std::fs::rename(&a, &b).map_err(|e| {
                        Error::local(format!("cannot move {} to {}", clean(from), clean(to)))
                            .cause(&e)
                    })?;
                    self.relink(to)?;
                }
            }
        }
        if let Some(e) = self.state.entries.get_mut(id) {
            e.path = to.to_string();
        }
        if let Some(f) = self.files.get_mut(id) {
            f.rel = to.to_string();
        }
        self.dirty = true;
        Ok(())
    }

    /// Pushes a file's text over a page: re-read right before (refused if the page is
    /// no longer what `decided` showed), the edit engine's plan and guards, the write,
    /// the read-back.
    fn push(
        &mut self,
        id: &str,
        path: &str,
        file: &LocalFile,
        decided: &Read,
        _decided_text: &str,
        merged_from: Option<&str>,
    ) -> Result<()> {
        let merging = merged_from.is_some();
        let mut doc = to_document(&file.text, id)?;
        let (body, new_files) =
            super::assets::delocalize(&doc.body, &file.rel, &self.root, &self.state.assets);
        doc.body = body;
        if let Some(h) = self.hook {
            h(id);
        }
        let client = self.client;
        let current = client.read(id, self.ui)?;
        let base = ContentHash::parse(&decided.content_hash())
            .map(edit::Base::Input)
            .unwrap_or(edit::Base::Unknown);
        let opts = edit::Options {
            dry_run: !self.writes(),
            ..Default::default()
        };
        let planned = client.plan_document(&current, &doc, &base, &opts);
        let plan = match planned {
            Ok(p) => p,
            Err(e) => return self.refused(id, path, e),
        };
        if plan.conflict.is_some() {
            self.emit(path, Some(id), "both", "refused", Some("changed in Notion while ntn sync was deciding: nothing written; run `ntn sync` again".into()));
            return Ok(());
        }
        let (status, action) = if merging {
            ("both", "merge")
        } else {
            ("local", "push")
        };
        if plan.is_empty() {
            if self.writes() {
                // Only a difference Notion does not keep (spacing, escapes): agreed.
                let text = self.render_page(&current, self.kind_of(id))?;
                if merging {
                    self.write_file(path, &text, merged_from)?;
                } else {
                    self.write_file(path, &text, Some(&file.bytes_hash))?;
                }
                let edited = current.page["last_edited_time"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let settled = remote::settled(&edited, self.now.as_deref());
                self.accept(
                    id,
                    path,
                    &text,
                    &current.content_hash(),
                    &edited,
                    settled,
                    None,
                )?;
            }
            self.emit(
                path,
                Some(id),
                status,
                "none",
                Some("nothing Notion would keep differs".into()),
            );
            return Ok(());
        }
        if !self.writes() {
            self.emit(path, Some(id), status, action, Some(plan.method.clone()));
            return Ok(());
        }
        let applied = match client.apply(&plan, self.ui) {
            Ok(a) => a,
            Err(e) => return self.refused(id, path, e),
        };
        let attached = match super::assets::attach(client, id, &new_files, self.ui) {
            Ok(n) => n,
            Err(e) => return self.refused(id, path, e),
        };
        let after = match applied.after {
            Some(a) if attached == 0 => a,
            _ => client.read(id, self.ui)?,
        };
        let text = self.render_page(&after, self.kind_of(id))?;
        let edited = after.page["last_edited_time"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let mut detail = None;
        if let Some(Verdict::Differs { .. }) = &applied.verified
            && new_files.is_empty()
        {
            // Notion holds something else than was sent: its version is the file now,
            // the one sent is kept aside.
            let kept = self.keep_aside(path, &file.text)?;
            detail = Some(format!(
                "Notion stored the page differently than sent: the file now shows Notion's version; yours is in {kept}"
            ));
        }
        let expect = if merging {
            merged_from.map(str::to_string)
        } else {
            Some(file.bytes_hash.clone())
        };
        let on_disk = std::fs::read(self.abs(path)?).ok().map(|b| local::hash(&b));
        if on_disk.as_deref() == expect.as_deref() || merging {
            self.write_file(path, &text, None)?;
            self.accept(id, path, &text, &after.content_hash(), &edited, false, None)?;
        } else {
            detail = Some("the file changed while it was pushed: it is left as it is".into());
        }
        self.emit(path, Some(id), status, action, detail);
        Ok(())
    }

    fn kind_of(&self, id: &str) -> Kind {
        self.state.entries.get(id).map_or(Kind::Page, |e| e.kind)
    }

    /// Keeps a text the user wrote under `.ntn/kept/`, returning where.
    fn keep_aside(&self, rel: &str, text: &str) -> Result<String> {
        let to = format!(".ntn/kept/{rel}");
        super::store::write_doc(&self.abs(&to)?, text.as_bytes())?;
        Ok(to)
    }

    /// An edit the guards refused: lossy blocks, an incomplete read, anything else.
    fn refused(&mut self, id: &str, path: &str, e: Error) -> Result<()> {
        if e.exit_code() == ExitCode::Interrupted {
            return Err(e);
        }
        if let Some(l) = e.data::<LossyRefused>() {
            let kinds = l.kinds.clone();
            if let Some(en) = self.state.entries.get_mut(id) {
                en.lossy = kinds.clone();
                self.dirty = true;
            }
            self.emit(path, Some(id), "lossy", "refused", Some(format!(
                "{} (blocks Notion's Markdown cannot give back: {}); edit other lines, or push this one with `ntn pages edit --allow-lossy`",
                e.message(),
                kinds.join(", ")
            )));
            return Ok(());
        }
        if e.data::<ReadIncompletely>().is_some() {
            self.emit(
                path,
                Some(id),
                "read-only",
                "refused",
                Some(e.message().to_string()),
            );
            return Ok(());
        }
        let status = if e.exit_code() == ExitCode::Conflict {
            "both"
        } else {
            "local"
        };
        let mut msg = e.message().to_string();
        if let Some(h) = e.hint_text() {
            msg.push_str(&format!(" ({h})"));
        }
        self.emit(path, Some(id), status, "refused", Some(msg));
        Ok(())
    }

    /// A tracked page Notion no longer shows (trashed, deleted, moved out of the tree or
    /// not shared any more): its file goes to `.ntn/trash/` unless it changed locally.
    fn remote_gone(&mut self, id: &str, page: Option<&Value>) -> Result<()> {
        self.handled.insert(id.to_string());
        let Some(entry) = self.state.entries.get(id).cloned() else {
            return Ok(());
        };
        let why = match page {
            Some(p) if p["in_trash"] == true || p["archived"] == true => "trashed in Notion",
            Some(_) => "moved out of the synced tree",
            None => "deleted in Notion, or no longer shared with the integration",
        };
        let local = self.files.get(id).cloned();
        let changed = local
            .as_ref()
            .is_some_and(|f| entry.local_hash.as_deref() != Some(&f.bytes_hash));
        let path = local.as_ref().map_or(entry.path.clone(), |f| f.rel.clone());
        if changed {
            self.emit(&path, Some(id), "conflict", "conflict", Some(format!(
                "{why}, but changed locally: kept; `ntn sync resolve FILE` makes it a new page, or delete the file"
            )));
            if self.writes() {
                if let Some(e) = self.state.entries.get_mut(id) {
                    e.conflict = Some(String::new());
                }
                self.dirty = true;
            }
            return Ok(());
        }
        if !(self.verb.pulls() || self.verb.plans()) {
            self.emit(
                &path,
                Some(id),
                "remote-deleted",
                "kept",
                Some(format!("{why}: pull to move the file to .ntn/trash")),
            );
            return Ok(());
        }
        let mut detail = format!("{why}: the file moved to .ntn/trash/");
        if self.writes() {
            if local.is_some() {
                let to = self.store.to_trash(&path)?;
                detail = format!("{why}: the file moved to {to}");
            }
            // Pages under it went with it in Notion.
            self.forget(id);
            if let Some(dir) = owned_folder(&entry.path) {
                let abs = self.abs(&dir)?;
                if abs.is_dir() {
                    let _ = self.store.to_trash(&dir);
                }
            }
            self.dirty = true;
        }
        self.emit(&path, Some(id), "remote-deleted", "trash", Some(detail));
        Ok(())
    }

    /// Drops a page and every page under it from the state.
    fn forget(&mut self, id: &str) {
        for g in self.descendants(id) {
            self.state.entries.remove(&g);
        }
        self.state.entries.remove(id);
    }

    fn descendants(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![id.to_string()];
        while let Some(p) = stack.pop() {
            for (cid, e) in &self.state.entries {
                if e.parent.as_deref() == Some(&p) {
                    out.push(cid.clone());
                    stack.push(cid.clone());
                }
            }
        }
        out
    }

    /// Tracked pages not read this run whose files changed or moved locally: pushes and
    /// local moves.
    fn local_only(&mut self) -> Result<()> {
        let ids: Vec<String> = self.state.entries.keys().cloned().collect();
        for id in ids {
            let Some(entry) = self.state.entries.get(&id).cloned() else {
                continue;
            };
            if entry.kind == Kind::Database {
                continue;
            }
            let Some(file) = self.files.get(&id).cloned() else {
                continue;
            };
            // Local moves and renames.
            if file.rel != entry.path && entry.conflict.is_none() {
                self.local_move(&id, &entry, &file)?;
            }
            let (Some(entry), Some(file)) = (
                self.state.entries.get(&id).cloned(),
                self.files.get(&id).cloned(),
            ) else {
                continue;
            };
            if entry.conflict.is_some() || entry.local_hash.as_deref() == Some(&file.bytes_hash) {
                continue;
            }
            let base = match &entry.base {
                Some(b) => self.store.get(b)?,
                None => None,
            };
            if base.as_deref().is_some_and(|b| same_text(b, &file.text)) {
                continue;
            }
            if self.handled(&id) {
                continue;
            }
            if !(self.verb.pushes() || self.verb.plans()) {
                self.emit(
                    &file.rel,
                    Some(&id),
                    "local",
                    "kept",
                    Some("push to send it".into()),
                );
                continue;
            }
            if let Some(why) = &entry.read_only {
                self.emit(&file.rel, Some(&id), "read-only", "refused", Some(format!("the page could not be read completely ({why}): a write could lose what is missing")));
                continue;
            }
            // The page is read now: the decision and the guard share that read when it
            // turns out unchanged since the base.
            let read = match self.client.read(&id, self.ui) {
                Ok(r) => r,
                Err(e) if is_gone(&e) => {
                    self.remote_gone(&id, None)?;
                    continue;
                }
                Err(e) if e.exit_code() == ExitCode::Interrupted => {
                    self.save()?;
                    return Err(e);
                }
                Err(e) => {
                    self.emit(
                        &file.rel,
                        Some(&id),
                        "local",
                        "failed",
                        Some(e.message().to_string()),
                    );
                    continue;
                }
            };
            self.summary.pages_read += 1;
            let remote_text = self.render_page(&read, entry.kind)?;
            let remote_changed = entry.remote_hash.as_deref() != Some(&read.content_hash())
                && base.as_deref().is_none_or(|b| !same_text(b, &remote_text));
            if remote_changed {
                // Changed in Notion after all (an edit the scan could not see yet).
                let item = Item {
                    id: id.clone(),
                    parent: entry.parent.clone(),
                    kind: entry.kind,
                    page: None,
                };
                self.handle(&item, entry.parent.clone(), read)?;
                continue;
            }
            self.push(&id, &file.rel, &file, &read, &remote_text, None)?;
            self.save_now_and_then()?;
        }
        Ok(())
    }

    /// Whether this page was decided on this run.
    fn handled(&self, id: &str) -> bool {
        self.handled.contains(id)
    }

    /// A tracked file found at another path: a move (another folder) or a rename (its
    /// name) in Notion.
    fn local_move(&mut self, id: &str, entry: &Entry, file: &LocalFile) -> Result<()> {
        let owned = owned_folder(&entry.path).is_some();
        let (dir_of_parent, name) = split_path(&file.rel, owned);
        let Some(new_parent) = self.owner_of(&dir_of_parent) else {
            self.emit(&file.rel, Some(id), "moved", "refused", Some(format!(
                "moved into {}, a folder no synced page owns: move it back, or give the folder a page ({}/{}.md)",
                if dir_of_parent.is_empty() { "the root".to_string() } else { dir_of_parent.clone() },
                dir_of_parent,
                dir_of_parent.rsplit('/').next().unwrap_or("")
            )));
            return Ok(());
        };
        let parent_changed = entry.parent.as_deref() != Some(&new_parent) && id != self.state.root;
        let old_name = layout::stem(&entry.title);
        let renamed = !name_matches(&name, &old_name, id);
        if !parent_changed && !renamed {
            if let Some(e) = self.state.entries.get_mut(id) {
                e.path = file.rel.clone();
            }
            self.dirty = true;
            return Ok(());
        }
        if !(self.verb.pushes() || self.verb.plans()) {
            self.emit(
                &file.rel,
                Some(id),
                "moved",
                "kept",
                Some("push to move or rename the page in Notion".into()),
            );
            return Ok(());
        }
        let parent_kind = self.state.entries.get(&new_parent).map(|e| e.kind);
        if parent_changed && (entry.kind == Kind::Row || parent_kind == Some(Kind::Database)) {
            self.emit(&file.rel, Some(id), "moved", "refused", Some("rows do not move between databases, nor pages into one, through ntn sync: move it back".into()));
            return Ok(());
        }
        let mut what = Vec::new();
        if self.writes() {
            self.refresh.extend(entry.parent.clone());
            self.refresh.push(new_parent.clone());
            self.refresh.push(id.to_string());
            if parent_changed {
                self.client
                    .move_to(id, &ParentSpec::Page(new_parent.clone()))?;
                what.push("moved");
            }
            if renamed {
                let page = self.client.page(id)?;
                let prop = page["properties"]
                    .as_object()
                    .and_then(|p| props::title_property(p).map(|(n, _)| n.to_string()))
                    .unwrap_or_else(|| "title".into());
                self.client.notion().patch(
                    &format!("/v1/pages/{id}"),
                    &json!({"properties": {prop: {"title": [{"type": "text", "text": {"content": name}}]}}}),
                )?;
                what.push("renamed");
            }
            // The file's own title line follows the rename.
            let mut text = file.text.clone();
            if renamed {
                text = set_front(&text, "title", &name)?;
                self.write_file(&file.rel, &text, None)?;
            }
            // The base follows a rename, so the title line is not taken for an edit.
            let base = match self.state.entries.get(id).and_then(|e| e.base.clone()) {
                Some(b) if renamed => match self.store.get(&b) {
                    Ok(Some(bt)) => Some(self.store.put(&set_front(&bt, "title", &name)?)?),
                    _ => Some(b),
                },
                other => other,
            };
            if let Some(e) = self.state.entries.get_mut(id) {
                e.path = file.rel.clone();
                e.parent = Some(new_parent);
                e.base = base;
                if renamed {
                    e.title = name.clone();
                    e.local_hash = Some(local::hash(
                        super::assets::rebase(&text, super::assets::depth(&file.rel)).as_bytes(),
                    ));
                }
            }
            if renamed && let Some(f) = self.files.get_mut(id) {
                f.bytes_hash = local::hash(
                    super::assets::rebase(&text, super::assets::depth(&f.rel)).as_bytes(),
                );
                f.text = text;
            }
            self.dirty = true;
        } else {
            if parent_changed {
                what.push("moved");
            }
            if renamed {
                what.push("renamed");
            }
        }
        self.emit(
            &file.rel,
            Some(id),
            "moved",
            "move",
            Some(format!("{} in Notion", what.join(" and "))),
        );
        Ok(())
    }

    // --- creates and deletes --------------------------------------------------------

    /// New files become pages under their folder's page (through the journal).
    fn creates(&mut self) -> Result<()> {
        let mut new: Vec<LocalFile> = self
            .files
            .iter()
            .filter(|(k, _)| k.starts_with("new:"))
            .map(|(_, f)| f.clone())
            .collect();
        // Parents first: shallower paths, and a folder's own file before the others.
        new.sort_by_key(|f| {
            (
                f.rel.matches('/').count(),
                !is_owner_file(&f.rel),
                f.rel.clone(),
            )
        });
        for f in new {
            let owner_file = is_owner_file(&f.rel);
            let (dir, _) = split_path(&f.rel, owner_file);
            let Some(parent) = self.owner_of(&dir) else {
                self.emit(
                    &f.rel,
                    None,
                    "new",
                    "refused",
                    Some(format!(
                        "its folder has no page: add {0}/{1}.md for the folder, or move the file",
                        dir,
                        dir.rsplit('/').next().unwrap_or("")
                    )),
                );
                continue;
            };
            if !(self.verb.pushes() || self.verb.plans()) {
                self.emit(
                    &f.rel,
                    None,
                    "new",
                    "kept",
                    Some("push to create the page".into()),
                );
                continue;
            }
            if !self.writes() {
                self.emit(&f.rel, None, "new", "create", None);
                continue;
            }
            if let Err(e) = self.create(&f, &parent) {
                if e.exit_code() == ExitCode::Interrupted {
                    return Err(e);
                }
                let mut msg = e.message().to_string();
                if let Some(h) = e.hint_text() {
                    msg.push_str(&format!(" ({h})"));
                }
                self.emit(&f.rel, None, "new", "failed", Some(msg));
            }
            self.save()?;
        }
        Ok(())
    }

    fn create(&mut self, f: &LocalFile, parent: &str) -> Result<()> {
        let doc = Document::parse(&f.text)?;
        let stem = f
            .rel
            .rsplit('/')
            .next()
            .unwrap_or(&f.rel)
            .trim_end_matches(".md")
            .to_string();
        let title = doc
            .text("title")?
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(stem);
        let pentry = self.state.entries.get(parent).cloned();
        let (target, kind) = match pentry.as_ref().map(|e| e.kind) {
            Some(Kind::Database) => {
                let ds = pentry.and_then(|e| e.data_source).unwrap_or_default();
                let schema = self.client.data_source(&ds)?;
                (Parent::DataSource { id: ds, schema }, Kind::Row)
            }
            _ => (Parent::Page(parent.to_string()), Kind::Page),
        };
        let mut front = doc.front.clone().unwrap_or_default();
        front.remove("notion_id");
        front.remove("id");
        front.remove("url");
        front.insert("title".into(), Value::String(title.clone()));
        let (body, new_files) =
            super::assets::delocalize(&doc.body, &f.rel, &self.root, &self.state.assets);
        let cdoc = Document {
            front: Some(front),
            body,
        };
        let schema = match &target {
            Parent::DataSource { schema, .. } => Some(schema),
            _ => None,
        };
        let properties = edit::new_page_properties(&cdoc, schema, self.client.users())?;
        let started = self.now.clone().unwrap_or_else(|| {
            crate::support::time::format_rfc3339(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
            )
        });
        self.store.begin(&Intent {
            path: f.rel.clone(),
            parent: parent.to_string(),
            title: title.clone(),
            started,
        })?;
        let (page, note) = self.client.create(&target, properties, &cdoc.body)?;
        if let Some(n) = note {
            self.ui.warn(n);
        }
        let id = page["id"].as_str().unwrap_or("").to_string();
        if id.is_empty() {
            return Err(Error::api("the server created a page without an id")
                .hint("look for the page in Notion before running the sync again"));
        }
        self.refresh.push(parent.to_string());
        let attached = super::assets::attach(self.client, &id, &new_files, self.ui)?;
        let page = (attached == 0).then_some(page);
        self.adopt(&f.rel, &id, parent, kind, page)?;
        self.store.end(&f.rel)?;
        self.emit(&f.rel, Some(&id), "new", "create", None);
        Ok(())
    }

    /// Makes a page created for a file the file's page: its id into the file, its
    /// record into the state (the page read back, Notion's form becoming the file's).
    fn adopt(
        &mut self,
        rel: &str,
        id: &str,
        parent: &str,
        kind: Kind,
        page: Option<Value>,
    ) -> Result<()> {
        let abs = self.abs(rel)?;
        let text = std::fs::read_to_string(&abs).map_err(|e| {
            Error::local(format!("cannot read {}", clean(rel)))
                .hint("check the file's permissions, then run the sync again")
                .cause(&e)
        })?;
        let with_id = local::set_notion_id(&text, id);
        super::store::write_doc(&abs, with_id.as_bytes())?;
        let read = self.client.read_with(id, page, self.ui)?;
        let remote_text = self.render_page(&read, kind)?;
        let title = read.title();
        self.state.entries.insert(
            id.to_string(),
            Entry {
                kind,
                path: rel.to_string(),
                parent: Some(parent.to_string()),
                title,
                ..Default::default()
            },
        );
        // Notion's form of what was sent is the file now (the body as Notion keeps it).
        self.write_file(rel, &remote_text, None)?;
        let edited = read.page["last_edited_time"]
            .as_str()
            .unwrap_or("")
            .to_string();
        self.accept(
            id,
            rel,
            &remote_text,
            &read.content_hash(),
            &edited,
            false,
            None,
        )?;
        if let Some(f) = self.files.remove(&format!("new:{rel}")) {
            let mut f = f;
            f.notion_id = Some(id.to_string());
            f.text = remote_text.clone();
            f.bytes_hash = local::hash(
                super::assets::rebase(&remote_text, super::assets::depth(rel)).as_bytes(),
            );
            self.files.insert(id.to_string(), f);
        }
        Ok(())
    }

    /// Creates a crash interrupted: the page made before the crash is found (same
    /// parent and title, created since the intent) and adopted, never made twice.
    fn recover_journal(&mut self) -> Result<()> {
        for intent in self.store.intents()? {
            let abs = match layout::abs(&self.root, &intent.path) {
                Some(a) => a,
                None => {
                    self.store.end(&intent.path)?;
                    continue;
                }
            };
            let text = std::fs::read_to_string(&abs).ok();
            if let Some(t) = &text
                && let Some(id) = local::notion_id_of(t)
            {
                // The id was written back; only the record is missing.
                if !self.state.entries.contains_key(&id) {
                    let kind = self.child_kind(&intent.parent);
                    self.adopt(&intent.path, &id, &intent.parent, kind, None)?;
                }
                self.store.end(&intent.path)?;
                continue;
            }
            let found = self.find_created(&intent)?;
            match found.as_slice() {
                [] => {}
                [one] => {
                    if text.is_some() {
                        let kind = self.child_kind(&intent.parent);
                        self.adopt(&intent.path, one, &intent.parent, kind, None)?;
                        self.ui.note(format_args!(
                            "{}: adopted the page an interrupted run created ({one})",
                            clean(&intent.path)
                        ));
                    }
                }
                many => {
                    self.ui.warn(format_args!(
                        "{}: an interrupted run may have created it several times ({}); none adopted",
                        clean(&intent.path),
                        many.join(", ")
                    ));
                    if text.is_some() {
                        // Keep the file from being created once more.
                        self.files.remove(&format!("new:{}", intent.path));
                        continue;
                    }
                }
            }
            self.store.end(&intent.path)?;
        }
        self.save()?;
        Ok(())
    }

    fn child_kind(&self, parent: &str) -> Kind {
        match self.state.entries.get(parent).map(|e| e.kind) {
            Some(Kind::Database) => Kind::Row,
            _ => Kind::Page,
        }
    }

    /// Pages under the intent's parent with its title, created since it began.
    fn find_created(&self, intent: &Intent) -> Result<Vec<String>> {
        let since = crate::support::time::parse_rfc3339_ms(&intent.started)
            .map(|t| t - t % 60_000)
            .unwrap_or(0);
        let ds = self
            .state
            .entries
            .get(&intent.parent)
            .and_then(|e| e.data_source.clone());
        let tracked: HashSet<&String> = self.state.entries.keys().collect();
        let body = json!({
            "query": intent.title,
            "filter": {"property": "object", "value": "page"},
            "sort": {"timestamp": "last_edited_time", "direction": "descending"},
        });
        let mut listing = crate::notion::listing::Listing::post(
            self.client.notion(),
            "/v1/search",
            body,
            Some(100),
        )?;
        let mut out = Vec::new();
        while let Some(batch) = listing.next_batch()? {
            for raw in batch {
                let Ok(p) = serde_json::from_str::<Value>(raw.get()) else {
                    continue;
                };
                let id = p["id"].as_str().unwrap_or("").to_string();
                let under = match ParentRef::of(&p) {
                    ParentRef::Page(x) => x == intent.parent,
                    ParentRef::DataSource(x) => ds.as_deref() == Some(&x),
                    _ => false,
                };
                let created = p["created_time"]
                    .as_str()
                    .and_then(crate::support::time::parse_rfc3339_ms)
                    .unwrap_or(0);
                if under
                    && props::title(&p) == intent.title
                    && created >= since
                    && !tracked.contains(&id)
                {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// Files deleted locally: their pages go to Notion's trash with `--delete` (and
    /// `--yes` for many).
    fn deletes(&mut self) -> Result<()> {
        let missing: Vec<String> = self
            .state
            .entries
            .iter()
            .filter(|(id, e)| {
                e.kind != Kind::Database && !self.files.contains_key(*id) && **id != self.state.root
            })
            .map(|(id, _)| id.clone())
            .collect();
        // Only the topmost: the pages under a trashed page go with it.
        let set: HashSet<&String> = missing.iter().collect();
        let top: Vec<String> = missing
            .iter()
            .filter(|id| {
                let mut p = self.state.entries.get(*id).and_then(|e| e.parent.clone());
                while let Some(x) = p {
                    if set.contains(&x) {
                        return false;
                    }
                    p = self.state.entries.get(&x).and_then(|e| e.parent.clone());
                }
                true
            })
            .cloned()
            .collect();
        if top.is_empty() {
            return Ok(());
        }
        let pages = self
            .state
            .entries
            .values()
            .filter(|e| e.kind != Kind::Database)
            .count();
        if !self.opts.delete {
            for id in &top {
                let path = self.state.entries[id].path.clone();
                self.emit(
                    &path,
                    Some(id),
                    "deleted",
                    "kept",
                    Some(
                        "deleted locally: pass --delete to move the page to Notion's trash".into(),
                    ),
                );
            }
            return Ok(());
        }
        // One page is never a mass delete; more need --yes past 10 pages or 10% of the tree.
        let mass = missing.len() > 1
            && (missing.len() > MASS_DELETE || missing.len() * 100 > pages * MASS_DELETE_PERCENT);
        if mass && !self.opts.yes && self.writes() {
            return Err(Error::usage(format!(
                "{} of the {pages} synced pages were deleted locally: trashing that many needs --yes",
                missing.len()
            ))
            .hint("check that the folder is complete (a moved or unmounted folder looks deleted), then pass --yes"));
        }
        for id in top {
            let path = self.state.entries[&id].path.clone();
            if !self.writes() {
                self.emit(&path, Some(&id), "deleted", "trash", None);
                continue;
            }
            let parent = self.state.entries.get(&id).and_then(|e| e.parent.clone());
            match self.client.set_trash(&id, true) {
                Ok(_) => {
                    self.refresh.extend(parent);
                    self.forget(&id);
                    self.dirty = true;
                    self.emit(
                        &path,
                        Some(&id),
                        "deleted",
                        "trash",
                        Some(format!(
                            "in Notion's trash: `ntn pages restore {id}` brings it back"
                        )),
                    );
                }
                Err(e) if is_gone(&e) => {
                    self.forget(&id);
                    self.dirty = true;
                    self.emit(
                        &path,
                        Some(&id),
                        "deleted",
                        "none",
                        Some("already gone from Notion".into()),
                    );
                }
                Err(e) => self.emit(
                    &path,
                    Some(&id),
                    "deleted",
                    "failed",
                    Some(e.message().to_string()),
                ),
            }
        }
        self.save()
    }
}

/// `ntn sync resolve FILE`: the file (fixed by hand) is the local side; the Notion side
/// the conflict was left with becomes its base, so the next push sends the fix, guarded.
pub fn resolve(dir: &Path, file: &Path) -> Result<String> {
    let root = find_root(dir)?;
    let store = Store::open(&root)?;
    let _lock = store.lock()?;
    let mut state = store.load()?;
    let abs = if file.is_absolute() {
        file.to_path_buf()
    } else {
        dir.join(file)
    };
    let abs = std::fs::canonicalize(&abs).map_err(|e| {
        Error::usage(format!("cannot open {}", file.display()))
            .hint("give the path of a file in the sync folder")
            .cause(&e)
    })?;
    let rel = layout::rel(&root, &abs).ok_or_else(|| {
        Error::usage(format!(
            "{} is not inside the sync folder {}",
            file.display(),
            root.display()
        ))
    })?;
    let text = std::fs::read_to_string(&abs).map_err(|e| {
        Error::local(format!("cannot read {}", file.display()))
            .hint("check the file's permissions")
            .cause(&e)
    })?;
    if text
        .lines()
        .any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>"))
    {
        return Err(Error::local(format!("{} still has conflict markers", clean(&rel)))
            .hint("keep what you want between the <<<<<<< and >>>>>>> lines, remove the markers, then resolve again"));
    }
    let id = local::notion_id_of(&text)
        .or_else(|| {
            state
                .entries
                .iter()
                .find(|(_, e)| e.path == rel)
                .map(|(i, _)| i.clone())
        })
        .ok_or_else(|| {
            Error::usage(format!("{} is not a synced page", clean(&rel)))
                .hint("`ntn sync status` lists the synced files and their conflicts")
        })?;
    let Some(e) = state.entries.get_mut(&id) else {
        return Err(Error::usage(format!(
            "{} is not a synced page",
            clean(&rel)
        )));
    };
    let Some(conflict) = e.conflict.take() else {
        return Err(
            Error::usage(format!("{} has no conflict to resolve", clean(&rel)))
                .hint("`ntn sync status` lists the conflicts"),
        );
    };
    if conflict.is_empty() {
        // The page was trashed in Notion: the file becomes a new page.
        let without = remove_front(&text, "notion_id")?;
        store::write_doc(&abs, without.as_bytes())?;
        state.entries.remove(&id);
        store.save(&state)?;
        return Ok(format!(
            "{rel}: will be created as a new page by the next push"
        ));
    }
    e.base = Some(conflict);
    e.remote_hash = e.conflict_hash.take();
    e.local_hash = None;
    e.path = rel.clone();
    store.save(&state)?;
    Ok(format!(
        "{rel}: resolved; the next `ntn sync` or `ntn sync push` sends it"
    ))
}

use super::store;

/// The sync folder `dir` is in (it or a parent holds `.ntn/`).
pub fn find_root(dir: &Path) -> Result<PathBuf> {
    let start = std::fs::canonicalize(dir).map_err(|e| {
        Error::local(format!("cannot open {}", dir.display()))
            .hint("run inside the sync folder, or pass -C DIR")
            .cause(&e)
    })?;
    let mut d: Option<&Path> = Some(&start);
    while let Some(p) = d {
        if p.join(store::STATE_DIR).join("state.json").is_file() {
            return Ok(p.to_path_buf());
        }
        d = p.parent();
    }
    Err(
        Error::usage(format!("{} is not in a sync folder", dir.display()))
            .hint("start one with `ntn sync init DIR --page PAGE`, or pass -C DIR"),
    )
}

/// A page to read: what is known of it before.
#[derive(Clone, Debug)]
struct Item {
    id: String,
    parent: Option<String>,
    kind: Kind,
    page: Option<Value>,
}

fn chunk<T>(v: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
    for (i, x) in v.into_iter().enumerate() {
        out[i % n].push(x);
    }
    out.retain(|c| !c.is_empty());
    out
}

fn is_gone(e: &Error) -> bool {
    e.data::<crate::http::error::ApiError>()
        .is_some_and(|a| a.status == 404)
}

/// The folder a page's file owns: `a/X/X.md` owns `a/X`.
pub fn owned_folder(path: &str) -> Option<String> {
    let (dir, file) = path.rsplit_once('/')?;
    let stem = file.strip_suffix(".md")?;
    let name = dir.rsplit('/').next().unwrap_or(dir);
    (name == stem).then(|| dir.to_string())
}

fn is_owner_file(rel: &str) -> bool {
    owned_folder(rel).is_some()
}

/// The folder of a file's parent page and the file's page name: a file owning its
/// folder names the folder (`a/X/X.md`: parent folder `a`, name `X`).
fn split_path(rel: &str, owns_folder: bool) -> (String, String) {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = file.trim_end_matches(".md").to_string();
    if owns_folder {
        let (pdir, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        (pdir.to_string(), name.to_string())
    } else {
        (dir.to_string(), stem)
    }
}

/// The name of the entry directly in `folder` that `rel` is (a file, or a folder whose
/// own file it is), if any.
fn child_name(folder: &str, rel: &str) -> Option<String> {
    let rest = if folder.is_empty() {
        rel
    } else {
        rel.strip_prefix(folder)?.strip_prefix('/')?
    };
    let first = rest.split('/').next()?;
    Some(first.trim_end_matches(".md").to_string())
}

/// Whether a file name is the one ntn gives a page named `stem` (with or without the
/// id suffix that tells namesakes apart).
fn name_matches(name: &str, stem: &str, id: &str) -> bool {
    if name == stem {
        return true;
    }
    let short: String = id.chars().filter(|c| *c != '-').take(8).collect();
    name == format!("{stem} ({short})")
}

/// The file text of a page: its frontmatter (`notion_id`, `title`, `url`, a row's
/// properties) and `body` (its Markdown with hosted files made links to assets; any
/// signed URL left is written without its signature: it changes on every read).
pub fn render_body(read: &Read, kind: Kind, body: &str) -> Result<String> {
    let mut front = Map::new();
    front.insert("notion_id".into(), Value::String(read.id().to_string()));
    front.insert("title".into(), Value::String(read.title()));
    if let Some(url) = read.page["url"].as_str() {
        front.insert("url".into(), Value::String(url.to_string()));
    }
    if kind == Kind::Row {
        let plain = read.plain_properties();
        if !plain.is_empty() {
            front.insert("properties".into(), Value::Object(plain));
        }
    }
    let body = normalize_urls(body);
    let mut body = body.trim_end().to_string();
    if !body.is_empty() {
        body.push('\n');
    }
    document::write(&front, &body)
}

/// The document a file's text pushes: its frontmatter with `notion_id` as the `id`.
fn to_document(text: &str, id: &str) -> Result<Document> {
    let mut doc = Document::parse(text)?;
    let mut front = doc.front.take().unwrap_or_default();
    front.remove("notion_id");
    front.insert("id".into(), Value::String(id.to_string()));
    doc.front = Some(front);
    Ok(doc)
}

/// Two texts the same once line endings and trailing blank space are set aside.
fn same_text(a: &str, b: &str) -> bool {
    normalize_body(a) == normalize_body(b)
}

fn norm(s: &str) -> String {
    let mut t = normalize_body(s).into_owned();
    t.push('\n');
    t
}

/// A file's text with one frontmatter key set (the rest as it was).
fn set_front(text: &str, key: &str, value: &str) -> Result<String> {
    let doc = Document::parse(text)?;
    let mut front = doc.front.unwrap_or_default();
    front.insert(key.into(), Value::String(value.to_string()));
    let mut ordered = Map::new();
    if let Some(id) = front.remove("notion_id") {
        ordered.insert("notion_id".into(), id);
    }
    ordered.extend(front);
    document::write(&ordered, &doc.body)
}

fn remove_front(text: &str, key: &str) -> Result<String> {
    let doc = Document::parse(text)?;
    let mut front = doc.front.unwrap_or_default();
    front.remove(key);
    document::write(&front, &doc.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_owned_by_their_own_file() {
        assert_eq!(owned_folder("a/X/X.md").as_deref(), Some("a/X"));
        assert_eq!(owned_folder("X/X.md").as_deref(), Some("X"));
        assert_eq!(owned_folder("a/X.md"), None);
        assert_eq!(owned_folder("X.md"), None);
        assert_eq!(split_path("a/X/X.md", true), ("a".into(), "X".into()));
        assert_eq!(split_path("a/Y.md", false), ("a".into(), "Y".into()));
        assert_eq!(child_name("a", "a/X/X.md").as_deref(), Some("X"));
        assert_eq!(child_name("", "Y.md").as_deref(), Some("Y"));
        assert_eq!(child_name("b", "a/Y.md"), None);
    }

    #[test]
    fn names_with_the_id_suffix_are_the_same_name() {
        let id = "a1000000-0000-4000-8000-000000000002";
        assert!(name_matches("Notes", "Notes", id));
        assert!(name_matches("Notes (a1000000)", "Notes", id));
        assert!(!name_matches("Other", "Notes", id));
    }
}

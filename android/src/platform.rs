//! A Slint platform on android-activity, with Slint's software renderer.
//!
//! Why not Slint's own `backend-android-activity-06`: its build compiles a Java helper with the
//! Android SDK, so it cannot even be type-checked on machines without one (see README.md). This
//! platform is the small part of it the app needs: one window drawn into the `ANativeWindow`'s
//! buffer (`RGBX_8888`, full repaint each frame), touch, keys, the back key, the soft keyboard,
//! timers, and wake-ups from other threads (`slint::spawn_local`, `invoke_from_event_loop`).
//!
//! The window is laid out in the activity's content rect (below the status bar, above the
//! navigation bar and, with `adjustResize`, above the soft keyboard); the buffer outside it is
//! painted white.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use android_activity::input::{
    ImeOptions, InputEvent, InputType as AndroidInputType, KeyAction, KeyMapChar, MotionAction,
    TextInputAction, TextInputState, TextSpan,
};
use android_activity::{AndroidApp, AndroidAppWaker, InputStatus, MainEvent, PollEvent};
use i_slint_core::window::{InputMethodRequest, WindowAdapterInternal};
use ndk::hardware_buffer_format::HardwareBufferFormat;
use ndk::native_window::NativeWindow;
use slint::platform::software_renderer::{
    PremultipliedRgbaColor, RepaintBufferType, SoftwareRenderer, TargetPixel,
};
use slint::platform::{
    EventLoopProxy, Key, Platform, PointerEventButton, WindowAdapter, WindowEvent,
};
use slint::{EventLoopError, LogicalPosition, PhysicalSize, PlatformError, SharedString};

use crate::ime::{self, Edit, ImeText};
use crate::keys::{key_meaning, KeyMeaning, Special};
use crate::pixel::Rgbx;

impl TargetPixel for Rgbx {
    fn blend(&mut self, c: PremultipliedRgbaColor) {
        self.blend_premultiplied(c.red, c.green, c.blue, c.alpha);
    }

    fn from_rgb(r: u8, g: u8, b: u8) -> Self {
        Rgbx::opaque(r, g, b)
    }
}

/// The soft keyboard's side of the focused text field.
#[derive(Default)]
struct Ime {
    shown: bool,
    /// What the IME's copy of the field holds (last pushed or reported).
    known: ImeText,
    /// Set while key presses made from an IME state are being applied: the field's echoes of
    /// them must not be pushed back.
    applying: bool,
    /// The field as last reported by Slint while `applying`.
    echoed: Option<ImeText>,
}

/// The one window of the app.
pub struct AndroidWindow {
    window: slint::Window,
    renderer: SoftwareRenderer,
    needs_redraw: Cell<bool>,
    size: Cell<PhysicalSize>,
    app: AndroidApp,
    ime: RefCell<Ime>,
}

impl AndroidWindow {
    fn new(app: AndroidApp) -> Rc<AndroidWindow> {
        Rc::new_cyclic(|w: &Weak<AndroidWindow>| AndroidWindow {
            window: slint::Window::new(w.clone()),
            renderer: SoftwareRenderer::new_with_repaint_buffer_type(RepaintBufferType::NewBuffer),
            needs_redraw: Cell::new(true),
            size: Cell::new(PhysicalSize::new(0, 0)),
            app,
            ime: RefCell::new(Ime::default()),
        })
    }

    /// Whether the soft keyboard is up (the back key closes it first).
    pub fn keyboard_shown(&self) -> bool {
        self.ime.borrow().shown
    }

    pub fn hide_keyboard(&self) {
        self.ime.borrow_mut().shown = false;
        self.app.hide_soft_input(false);
    }

    fn push_to_ime(&self, field: &ImeText) {
        let caret = field.caret.min(field.text.len());
        self.app.set_text_input_state(TextInputState {
            text: field.text.clone(),
            selection: TextSpan {
                start: caret,
                end: caret,
            },
            compose_region: None,
        });
    }

    fn press(&self, text: SharedString) {
        self.window
            .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        self.window
            .dispatch_event(WindowEvent::KeyReleased { text });
    }

    fn press_n(&self, key: Key, n: usize) {
        for _ in 0..n {
            self.press(key.into());
        }
    }

    /// The IME reported a new state of the field: make the field match it.
    fn ime_state(&self, state: TextInputState) {
        let new = ImeText::new(state.text, state.selection.end);
        let edits = {
            let mut ime = self.ime.borrow_mut();
            let edits = ime::edits(&ime.known, &new);
            ime.known = new;
            ime.applying = true;
            ime.echoed = None;
            edits
        };
        for e in edits {
            match e {
                Edit::Left(n) => self.press_n(Key::LeftArrow, n),
                Edit::Right(n) => self.press_n(Key::RightArrow, n),
                Edit::Backspace(n) => self.press_n(Key::Backspace, n),
                Edit::Insert(s) => self.press(s.into()),
            }
        }
        let echoed = {
            let mut ime = self.ime.borrow_mut();
            ime.applying = false;
            ime.echoed.take()
        };
        // The field refused part of it (a length limit, digits only): tell the IME.
        if let Some(field) = echoed {
            let push = ime::must_push(&field, &self.ime.borrow().known);
            if push {
                self.push_to_ime(&field);
                self.ime.borrow_mut().known = field;
            }
        }
    }
}

impl WindowAdapter for AndroidWindow {
    fn window(&self) -> &slint::Window {
        &self.window
    }

    fn renderer(&self) -> &dyn slint::platform::Renderer {
        &self.renderer
    }

    fn size(&self) -> PhysicalSize {
        self.size.get()
    }

    fn set_size(&self, size: slint::WindowSize) {
        let sf = self.window.scale_factor();
        self.size.set(size.to_physical(sf));
        self.window.dispatch_event(WindowEvent::Resized {
            size: size.to_logical(sf),
        });
    }

    fn request_redraw(&self) {
        self.needs_redraw.set(true);
    }

    fn internal(&self, _: i_slint_core::InternalToken) -> Option<&dyn WindowAdapterInternal> {
        Some(self)
    }
}

fn android_input_type(t: i_slint_core::items::InputType) -> AndroidInputType {
    use i_slint_core::items::InputType as T;
    match t {
        T::Password => {
            AndroidInputType::TYPE_CLASS_TEXT | AndroidInputType::TYPE_TEXT_VARIATION_PASSWORD
        }
        T::Number => AndroidInputType::TYPE_CLASS_NUMBER,
        T::Decimal => {
            AndroidInputType::TYPE_CLASS_NUMBER | AndroidInputType::TYPE_NUMBER_FLAG_DECIMAL
        }
        _ => AndroidInputType::TYPE_CLASS_TEXT,
    }
}

impl WindowAdapterInternal for AndroidWindow {
    fn input_method_request(&self, request: InputMethodRequest) {
        match request {
            InputMethodRequest::Enable(props) => {
                let field = ImeText::new(props.text.as_str(), props.cursor_position);
                self.app.set_ime_editor_info(
                    android_input_type(props.input_type),
                    TextInputAction::Done,
                    ImeOptions::IMG_FLAG_NO_EXTRACT_UI, /* sic, android-activity's name */
                );
                self.push_to_ime(&field);
                {
                    let mut ime = self.ime.borrow_mut();
                    ime.known = field;
                    ime.shown = true;
                }
                self.app.show_soft_input(true);
            }
            InputMethodRequest::Update(props) => {
                let field = ImeText::new(props.text.as_str(), props.cursor_position);
                let mut ime = self.ime.borrow_mut();
                if ime.applying {
                    ime.echoed = Some(field);
                } else if ime::must_push(&field, &ime.known) {
                    drop(ime);
                    self.push_to_ime(&field);
                    self.ime.borrow_mut().known = field;
                }
            }
            InputMethodRequest::Disable => self.hide_keyboard(),
            _ => {}
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Work sent to the UI thread by other threads.
#[derive(Clone)]
struct Queue {
    jobs: Arc<Mutex<VecDeque<Job>>>,
    quit: Arc<AtomicBool>,
    waker: AndroidAppWaker,
}

impl EventLoopProxy for Queue {
    fn quit_event_loop(&self) -> Result<(), EventLoopError> {
        self.quit.store(true, Ordering::SeqCst);
        self.waker.wake();
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Job) -> Result<(), EventLoopError> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(event);
        self.waker.wake();
        Ok(())
    }
}

struct AndroidPlatform {
    window: Rc<AndroidWindow>,
    queue: Queue,
    started: Instant,
}

impl Platform for AndroidPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.started.elapsed()
    }

    fn run_event_loop(&self) -> Result<(), PlatformError> {
        Err(PlatformError::Other(
            "on Android the loop is platform::run, driven by android_main".into(),
        ))
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(self.queue.clone()))
    }
}

/// The installed platform: the window and the queue the loop drains.
pub struct Installed {
    pub window: Rc<AndroidWindow>,
    queue: Queue,
}

/// Makes this platform Slint's; call once, before any component is created.
pub fn install(app: &AndroidApp) -> Result<Installed, PlatformError> {
    let window = AndroidWindow::new(app.clone());
    let queue = Queue {
        jobs: Arc::default(),
        quit: Arc::default(),
        waker: app.create_waker(),
    };
    slint::platform::set_platform(Box::new(AndroidPlatform {
        window: window.clone(),
        queue: queue.clone(),
        started: Instant::now(),
    }))
    .map_err(|e| PlatformError::Other(format!("set_platform: {e}")))?;
    Ok(Installed { window, queue })
}

/// What the app does on lifecycle events and the back key (`run.rs`).
pub trait Hooks {
    /// The back key was released; `false` lets Android handle it (leave the app).
    fn back(&mut self, window: &AndroidWindow) -> bool;
    fn paused(&mut self, window: &AndroidWindow);
    fn resumed(&mut self);
    fn focus(&mut self, gained: bool);
    /// Called on every turn of the loop; returns how soon it wants to be called again.
    fn tick(&mut self) -> Option<Duration>;
}

/// A rectangle in buffer pixels (android-activity's `Rect` is not `Copy`).
#[derive(Clone, Copy)]
struct Area {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
}

/// Where Slint's window sits in the native window, and its scale.
#[derive(Clone, Copy)]
struct Geometry {
    rect: Area,
    scale: f32,
}

impl Geometry {
    fn of(app: &AndroidApp, nw: &NativeWindow) -> Geometry {
        let (w, h) = (nw.width().max(1), nw.height().max(1));
        let r = app.content_rect();
        let mut rect = Area {
            left: r.left,
            top: r.top,
            right: r.right,
            bottom: r.bottom,
        };
        if rect.right <= rect.left || rect.bottom <= rect.top {
            rect = Area {
                left: 0,
                top: 0,
                right: w,
                bottom: h,
            };
        }
        // Full width: the renderer draws whole buffer lines (the app is portrait-only, where
        // side insets are zero); only the top and bottom follow the content rect.
        rect.left = 0;
        rect.right = w;
        rect.top = rect.top.clamp(0, h - 1);
        rect.bottom = rect.bottom.clamp(rect.top + 1, h);
        // Android's baseline density is 160 dpi = scale 1.
        let scale = app.config().density().map_or(1.0, |dpi| dpi as f32 / 160.0);
        Geometry { rect, scale }
    }

    fn logical(&self, x: f32, y: f32) -> LogicalPosition {
        LogicalPosition::new(
            (x - self.rect.left as f32) / self.scale,
            (y - self.rect.top as f32) / self.scale,
        )
    }
}

fn apply_geometry(window: &AndroidWindow, g: Geometry) {
    if (window.window.scale_factor() - g.scale).abs() > f32::EPSILON {
        window
            .window
            .dispatch_event(WindowEvent::ScaleFactorChanged {
                scale_factor: g.scale,
            });
    }
    let size = PhysicalSize::new(
        (g.rect.right - g.rect.left) as u32,
        (g.rect.bottom - g.rect.top) as u32,
    );
    if window.size.get() != size {
        window.set_size(slint::WindowSize::Physical(size));
    }
    window.request_redraw();
}

fn draw(window: &AndroidWindow, nw: &NativeWindow, g: Geometry) {
    if !window.needs_redraw.replace(false) {
        return;
    }
    let mut buffer = match nw.lock(None) {
        Ok(b) => b,
        Err(e) => {
            log::warn!("ANativeWindow_lock failed: {e}");
            return;
        }
    };
    match buffer.format() {
        HardwareBufferFormat::R8G8B8X8_UNORM | HardwareBufferFormat::R8G8B8A8_UNORM => {}
        other => {
            log::error!("unexpected window buffer format {other:?}");
            return;
        }
    }
    let (stride, width, height) = (buffer.stride(), buffer.width(), buffer.height());
    let Some(bytes) = buffer.bytes() else { return };
    // SAFETY: the buffer is `stride * height` pixels of 4 bytes (`bytes()` checked the format's
    // size), `Rgbx` is 4 bytes with alignment 1, and every pixel is written below before it is
    // read (the white fill covers what Slint does not draw).
    let pixels: &mut [Rgbx] =
        unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast(), stride * height) };
    let top = (g.rect.top.max(0) as usize).min(height);
    let bottom = (g.rect.bottom.max(0) as usize).clamp(top, height);
    let white = Rgbx::opaque(255, 255, 255);
    for (y, row) in pixels.chunks_mut(stride).enumerate() {
        if y < top || y >= bottom {
            row[..width].fill(white);
        }
    }
    // Whole lines `top..bottom`: the renderer takes the line count from the slice's length.
    window
        .renderer
        .render(&mut pixels[top * stride..bottom * stride], stride);
}

/// Runs the event loop until the activity is destroyed.
pub fn run(app: &AndroidApp, installed: &Installed, hooks: &mut dyn Hooks) {
    let window = &installed.window;
    let mut native: Option<NativeWindow> = None;
    let mut geometry = Geometry {
        rect: Area {
            left: 0,
            top: 0,
            right: 1,
            bottom: 1,
        },
        scale: 1.0,
    };
    let mut pointer_down = false;
    let mut destroyed = false;
    while !destroyed && !installed.queue.quit.load(Ordering::SeqCst) {
        slint::platform::update_timers_and_animations();
        let jobs: Vec<Job> = installed
            .queue
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for job in jobs {
            job();
        }
        if let Some(nw) = &native {
            draw(window, nw, geometry);
        }
        let mut timeout = if window.window.has_active_animations() {
            Some(Duration::from_millis(16))
        } else {
            slint::platform::duration_until_next_timer_update()
        };
        if let Some(t) = hooks.tick() {
            timeout = Some(timeout.map_or(t, |x| x.min(t)));
        }
        if !installed
            .queue
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
            || window.needs_redraw.get() && native.is_some()
        {
            timeout = Some(Duration::ZERO);
        }
        app.poll_events(timeout, |event| match event {
            PollEvent::Main(main) => match main {
                MainEvent::InitWindow { .. } => {
                    if let Some(nw) = app.native_window() {
                        if let Err(e) = nw.set_buffers_geometry(
                            0,
                            0,
                            Some(HardwareBufferFormat::R8G8B8X8_UNORM),
                        ) {
                            log::error!("setBuffersGeometry failed: {e}");
                        }
                        geometry = Geometry::of(app, &nw);
                        apply_geometry(window, geometry);
                        native = Some(nw);
                    }
                }
                MainEvent::TerminateWindow { .. } => native = None,
                MainEvent::WindowResized { .. }
                | MainEvent::ContentRectChanged { .. }
                | MainEvent::ConfigChanged { .. }
                | MainEvent::InsetsChanged { .. } => {
                    if let Some(nw) = &native {
                        geometry = Geometry::of(app, nw);
                        apply_geometry(window, geometry);
                    }
                }
                MainEvent::RedrawNeeded { .. } => {
                    window.request_redraw();
                    if let Some(nw) = &native {
                        draw(window, nw, geometry);
                    }
                }
                MainEvent::Pause => hooks.paused(window),
                MainEvent::Resume { .. } => hooks.resumed(),
                MainEvent::GainedFocus => {
                    window
                        .window
                        .dispatch_event(WindowEvent::WindowActiveChanged(true));
                    hooks.focus(true);
                }
                MainEvent::LostFocus => {
                    window
                        .window
                        .dispatch_event(WindowEvent::WindowActiveChanged(false));
                    hooks.focus(false);
                }
                MainEvent::Destroy => destroyed = true,
                MainEvent::InputAvailable => {}
                _ => {}
            },
            PollEvent::Wake | PollEvent::Timeout => {}
            _ => {}
        });
        // Input is read on every turn (InputAvailable is only sent once until it is drained).
        let Ok(mut iter) = app.input_events_iter() else {
            continue;
        };
        loop {
            let more = iter
                .next(|event| handle_input(app, window, hooks, geometry, &mut pointer_down, event));
            if !more {
                break;
            }
        }
    }
}

fn handle_input(
    app: &AndroidApp,
    window: &AndroidWindow,
    hooks: &mut dyn Hooks,
    g: Geometry,
    pointer_down: &mut bool,
    event: &InputEvent<'_>,
) -> InputStatus {
    match event {
        InputEvent::MotionEvent(m) => {
            // One finger drives the pointer; further fingers are ignored.
            let p = m.pointer_at_index(0);
            let position = g.logical(p.x(), p.y());
            let w = &window.window;
            match m.action() {
                MotionAction::Down => {
                    *pointer_down = true;
                    w.dispatch_event(WindowEvent::PointerPressed {
                        position,
                        button: PointerEventButton::Left,
                    });
                }
                MotionAction::Move if *pointer_down => {
                    w.dispatch_event(WindowEvent::PointerMoved { position });
                }
                MotionAction::Up => {
                    *pointer_down = false;
                    w.dispatch_event(WindowEvent::PointerReleased {
                        position,
                        button: PointerEventButton::Left,
                    });
                    // A finger that lifts leaves: no hover state stays behind.
                    w.dispatch_event(WindowEvent::PointerExited);
                }
                MotionAction::Cancel => {
                    *pointer_down = false;
                    w.dispatch_event(WindowEvent::PointerExited);
                }
                _ => return InputStatus::Unhandled,
            }
            InputStatus::Handled
        }
        InputEvent::KeyEvent(k) => {
            let code: u32 = k.key_code().into();
            let unicode = match app
                .device_key_character_map(k.device_id())
                .ok()
                .and_then(|map| map.get(k.key_code(), k.meta_state()).ok())
            {
                Some(KeyMapChar::Unicode(c)) => Some(c),
                _ => None,
            };
            let text: SharedString = match key_meaning(code, unicode) {
                KeyMeaning::Back => {
                    // Act on release, as Android does; claim the press too.
                    return match k.action() {
                        KeyAction::Up if hooks.back(window) => InputStatus::Handled,
                        KeyAction::Down => InputStatus::Handled,
                        _ => InputStatus::Unhandled,
                    };
                }
                KeyMeaning::System => return InputStatus::Unhandled,
                KeyMeaning::Text(c) => c.to_string().into(),
                KeyMeaning::Special(s) => slint_key(s).into(),
            };
            let w = &window.window;
            match k.action() {
                KeyAction::Down => w.dispatch_event(WindowEvent::KeyPressed { text }),
                KeyAction::Up => w.dispatch_event(WindowEvent::KeyReleased { text }),
                _ => return InputStatus::Unhandled,
            }
            InputStatus::Handled
        }
        InputEvent::TextEvent(state) => {
            window.ime_state(state.clone());
            InputStatus::Handled
        }
        InputEvent::TextAction(_) => {
            // The IME's 完成 key: as Return in the field (which accepts it), then close.
            window.press(Key::Return.into());
            window.hide_keyboard();
            InputStatus::Handled
        }
        _ => InputStatus::Unhandled,
    }
}

fn slint_key(s: Special) -> Key {
    match s {
        Special::Backspace => Key::Backspace,
        Special::Delete => Key::Delete,
        Special::Return => Key::Return,
        Special::Tab => Key::Tab,
        Special::Left => Key::LeftArrow,
        Special::Right => Key::RightArrow,
        Special::Up => Key::UpArrow,
        Special::Down => Key::DownArrow,
        Special::Home => Key::Home,
        Special::End => Key::End,
    }
}

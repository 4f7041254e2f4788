//! The widget's languages: every text the widget shows, in English (the keys: the widget's own words, so a text
//! without a translation shows as written) and in German, French, Spanish, Portuguese and Arabic (right to left).
//! The server picks the language — the website's choice, or the visitor's browser (`Accept-Language`) — and sends
//! that language's texts with the widget's config, so the widget carries no other language's words.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

string_enum! {
    /// A website's widget language: one for every visitor, or each visitor's browser's (`auto`).
    #[derive(Default)]
    pub enum WidgetLanguage {
        #[default]
        Auto = "auto",
        En = "en",
        De = "de",
        Fr = "fr",
        Es = "es",
        Pt = "pt",
        Ar = "ar",
    }
}

impl WidgetLanguage {
    /// The languages the widget speaks, in the order the settings list them.
    pub const SPOKEN: [WidgetLanguage; 6] = [
        WidgetLanguage::En,
        WidgetLanguage::De,
        WidgetLanguage::Fr,
        WidgetLanguage::Es,
        WidgetLanguage::Pt,
        WidgetLanguage::Ar,
    ];

    /// The language's own name ("Deutsch"), for the settings.
    pub fn label(self) -> &'static str {
        match self {
            WidgetLanguage::Auto => "The visitor's browser language",
            WidgetLanguage::En => "English",
            WidgetLanguage::De => "Deutsch",
            WidgetLanguage::Fr => "Français",
            WidgetLanguage::Es => "Español",
            WidgetLanguage::Pt => "Português",
            WidgetLanguage::Ar => "العربية",
        }
    }

    /// Written right to left.
    pub fn rtl(self) -> bool {
        self == WidgetLanguage::Ar
    }

    /// The language a visitor gets: the website's, or the first the browser asks for (by `q`, then order) that
    /// the widget speaks; English otherwise.
    pub fn for_visitor(self, accept_language: Option<&str>) -> WidgetLanguage {
        if self != WidgetLanguage::Auto {
            return self;
        }
        let mut best: Option<(f32, WidgetLanguage)> = None;
        for part in accept_language.unwrap_or_default().split(',').take(20) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let Some(lang) = WidgetLanguage::parse(&primary).filter(|l| *l != WidgetLanguage::Auto) else { continue };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(WidgetLanguage::En, |(_, lang)| lang)
    }

    fn table(self) -> Option<&'static [&'static str; KEYS.len()]> {
        match self {
            WidgetLanguage::De => Some(&DE),
            WidgetLanguage::Fr => Some(&FR),
            WidgetLanguage::Es => Some(&ES),
            WidgetLanguage::Pt => Some(&PT),
            WidgetLanguage::Ar => Some(&AR),
            WidgetLanguage::Auto | WidgetLanguage::En => None,
        }
    }

    /// The widget's texts in this language, keyed by their English; empty for English.
    pub fn strings(self) -> BTreeMap<String, String> {
        self.table()
            .map(|t| KEYS.iter().zip(t.iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default()
    }

    /// `english` in this language (itself when there is no translation).
    pub fn translate(self, english: &str) -> &str {
        match (self.table(), KEYS.iter().position(|k| *k == english)) {
            (Some(t), Some(i)) => t[i],
            _ => english,
        }
    }
}

/// An admin's own welcome and offline texts for visitors in one language (empty: the website's usual text).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetTranslation {
    pub language: WidgetLanguage,
    #[serde(default)]
    pub welcome_message: String,
    #[serde(default)]
    pub offline_message: String,
}

/// The widget's texts, keyed by their English (the widget's own words), in the order of [`KEYS`].
pub const KEYS: [&str; 45] = [
    "Chat with us",
    "Close chat",
    "Email me this chat",
    "Messages",
    "Attach a file or image",
    "Your message",
    "Write a message…",
    "Send",
    "An agent is typing…",
    "This chat has ended. Write again any time to start a new one.",
    "You are number {n} in the queue. An agent will be with you soon.",
    "Not sent: {reason}",
    "You are offline. Messages will be sent when the connection is back.",
    "No connection. Try again in a moment.",
    "Connection lost. Reconnecting in {n} s…",
    "The chat is not available on this page.",
    "The file could not be sent.",
    "The file could not be sent: no connection.",
    "Download {name}",
    "You:",
    "Agent:",
    "Read",
    "Your name",
    "Your email",
    "Leave a message",
    "Thank you, {name}! We will answer at {email}.",
    "{label} (optional)",
    "How can we help?",
    "Start the chat",
    "Tell us how we can help.",
    "Connecting… try again in a moment.",
    "Your message could not be sent.",
    "Your answers could not be sent.",
    "How was this chat?",
    "{n} out of 5",
    "Send rating",
    "Choose from 1 to 5 stars.",
    "Thank you for your rating!",
    "Your rating could not be sent.",
    "Anything to add? (optional)",
    "Comment (optional)",
    "Transcript sent to {email}.",
    "The transcript could not be sent.",
    "Hello! How can we help you today?",
    "We are currently offline. Leave a message and we will get back to you.",
];

const DE: [&str; 45] = [
    "Chatten Sie mit uns",
    "Chat schließen",
    "Diesen Chat per E-Mail senden",
    "Nachrichten",
    "Datei oder Bild anhängen",
    "Ihre Nachricht",
    "Nachricht schreiben…",
    "Senden",
    "Ein Mitarbeiter schreibt…",
    "Dieser Chat ist beendet. Schreiben Sie jederzeit wieder, um einen neuen zu beginnen.",
    "Sie sind Nummer {n} in der Warteschlange. Gleich ist jemand für Sie da.",
    "Nicht gesendet: {reason}",
    "Sie sind offline. Nachrichten werden gesendet, sobald die Verbindung zurück ist.",
    "Keine Verbindung. Versuchen Sie es gleich noch einmal.",
    "Verbindung unterbrochen. Neuer Versuch in {n} s…",
    "Der Chat ist auf dieser Seite nicht verfügbar.",
    "Die Datei konnte nicht gesendet werden.",
    "Die Datei konnte nicht gesendet werden: keine Verbindung.",
    "{name} herunterladen",
    "Sie:",
    "Mitarbeiter:",
    "Gelesen",
    "Ihr Name",
    "Ihre E-Mail-Adresse",
    "Nachricht hinterlassen",
    "Danke, {name}! Wir antworten an {email}.",
    "{label} (optional)",
    "Wie können wir helfen?",
    "Chat beginnen",
    "Sagen Sie uns, wie wir helfen können.",
    "Verbindung wird aufgebaut… versuchen Sie es gleich noch einmal.",
    "Ihre Nachricht konnte nicht gesendet werden.",
    "Ihre Angaben konnten nicht gesendet werden.",
    "Wie war dieser Chat?",
    "{n} von 5",
    "Bewertung senden",
    "Wählen Sie 1 bis 5 Sterne.",
    "Danke für Ihre Bewertung!",
    "Ihre Bewertung konnte nicht gesendet werden.",
    "Möchten Sie etwas ergänzen? (optional)",
    "Kommentar (optional)",
    "Verlauf gesendet an {email}.",
    "Der Verlauf konnte nicht gesendet werden.",
    "Hallo! Wie können wir Ihnen heute helfen?",
    "Wir sind gerade nicht erreichbar. Hinterlassen Sie eine Nachricht, wir melden uns bei Ihnen.",
];

const FR: [&str; 45] = [
    "Discutez avec nous",
    "Fermer le chat",
    "M’envoyer cette conversation par e-mail",
    "Messages",
    "Joindre un fichier ou une image",
    "Votre message",
    "Écrivez un message…",
    "Envoyer",
    "Un conseiller écrit…",
    "Cette conversation est terminée. Écrivez-nous à tout moment pour en commencer une nouvelle.",
    "Vous êtes numéro {n} dans la file d’attente. Un conseiller va vous répondre.",
    "Non envoyé : {reason}",
    "Vous êtes hors ligne. Les messages seront envoyés dès le retour de la connexion.",
    "Pas de connexion. Réessayez dans un instant.",
    "Connexion perdue. Nouvelle tentative dans {n} s…",
    "Le chat n’est pas disponible sur cette page.",
    "Le fichier n’a pas pu être envoyé.",
    "Le fichier n’a pas pu être envoyé : pas de connexion.",
    "Télécharger {name}",
    "Vous :",
    "Conseiller :",
    "Lu",
    "Votre nom",
    "Votre e-mail",
    "Laisser un message",
    "Merci, {name} ! Nous vous répondrons à {email}.",
    "{label} (facultatif)",
    "Comment pouvons-nous vous aider ?",
    "Commencer la conversation",
    "Dites-nous comment nous pouvons vous aider.",
    "Connexion en cours… réessayez dans un instant.",
    "Votre message n’a pas pu être envoyé.",
    "Vos réponses n’ont pas pu être envoyées.",
    "Comment s’est passée cette conversation ?",
    "{n} sur 5",
    "Envoyer la note",
    "Choisissez de 1 à 5 étoiles.",
    "Merci pour votre note !",
    "Votre note n’a pas pu être envoyée.",
    "Quelque chose à ajouter ? (facultatif)",
    "Commentaire (facultatif)",
    "Conversation envoyée à {email}.",
    "La conversation n’a pas pu être envoyée.",
    "Bonjour ! Comment pouvons-nous vous aider aujourd’hui ?",
    "Nous sommes absents pour le moment. Laissez un message et nous vous répondrons.",
];

const ES: [&str; 45] = [
    "Chatea con nosotros",
    "Cerrar el chat",
    "Enviarme este chat por correo",
    "Mensajes",
    "Adjuntar un archivo o una imagen",
    "Tu mensaje",
    "Escribe un mensaje…",
    "Enviar",
    "Un agente está escribiendo…",
    "Este chat ha terminado. Escríbenos cuando quieras para empezar otro.",
    "Eres el número {n} en la cola. Un agente te atenderá enseguida.",
    "No enviado: {reason}",
    "No tienes conexión. Los mensajes se enviarán cuando vuelva.",
    "Sin conexión. Inténtalo de nuevo en un momento.",
    "Conexión perdida. Reintentando en {n} s…",
    "El chat no está disponible en esta página.",
    "No se pudo enviar el archivo.",
    "No se pudo enviar el archivo: sin conexión.",
    "Descargar {name}",
    "Tú:",
    "Agente:",
    "Leído",
    "Tu nombre",
    "Tu correo electrónico",
    "Dejar un mensaje",
    "¡Gracias, {name}! Te responderemos a {email}.",
    "{label} (opcional)",
    "¿En qué podemos ayudarte?",
    "Empezar el chat",
    "Dinos en qué podemos ayudarte.",
    "Conectando… inténtalo de nuevo en un momento.",
    "No se pudo enviar tu mensaje.",
    "No se pudieron enviar tus respuestas.",
    "¿Qué tal ha ido este chat?",
    "{n} de 5",
    "Enviar valoración",
    "Elige de 1 a 5 estrellas.",
    "¡Gracias por tu valoración!",
    "No se pudo enviar tu valoración.",
    "¿Algo más que añadir? (opcional)",
    "Comentario (opcional)",
    "Conversación enviada a {email}.",
    "No se pudo enviar la conversación.",
    "¡Hola! ¿En qué podemos ayudarte hoy?",
    "Ahora mismo no estamos disponibles. Deja un mensaje y te responderemos.",
];

const PT: [&str; 45] = [
    "Fale connosco",
    "Fechar o chat",
    "Enviar-me esta conversa por e-mail",
    "Mensagens",
    "Anexar um ficheiro ou imagem",
    "A sua mensagem",
    "Escreva uma mensagem…",
    "Enviar",
    "Um agente está a escrever…",
    "Esta conversa terminou. Escreva quando quiser para começar outra.",
    "É o número {n} na fila. Um agente vai atendê-lo em breve.",
    "Não enviada: {reason}",
    "Está offline. As mensagens serão enviadas quando a ligação voltar.",
    "Sem ligação. Tente novamente daqui a pouco.",
    "Ligação perdida. Nova tentativa em {n} s…",
    "O chat não está disponível nesta página.",
    "Não foi possível enviar o ficheiro.",
    "Não foi possível enviar o ficheiro: sem ligação.",
    "Transferir {name}",
    "Você:",
    "Agente:",
    "Lida",
    "O seu nome",
    "O seu e-mail",
    "Deixar uma mensagem",
    "Obrigado, {name}! Vamos responder para {email}.",
    "{label} (opcional)",
    "Como podemos ajudar?",
    "Começar a conversa",
    "Diga-nos como podemos ajudar.",
    "A ligar… tente novamente daqui a pouco.",
    "Não foi possível enviar a sua mensagem.",
    "Não foi possível enviar as suas respostas.",
    "Como correu esta conversa?",
    "{n} de 5",
    "Enviar avaliação",
    "Escolha de 1 a 5 estrelas.",
    "Obrigado pela sua avaliação!",
    "Não foi possível enviar a sua avaliação.",
    "Algo a acrescentar? (opcional)",
    "Comentário (opcional)",
    "Conversa enviada para {email}.",
    "Não foi possível enviar a conversa.",
    "Olá! Como podemos ajudar hoje?",
    "De momento não estamos disponíveis. Deixe uma mensagem e entraremos em contacto.",
];

const AR: [&str; 45] = [
    "تحدث معنا",
    "إغلاق المحادثة",
    "أرسل لي هذه المحادثة بالبريد الإلكتروني",
    "الرسائل",
    "إرفاق ملف أو صورة",
    "رسالتك",
    "اكتب رسالة…",
    "إرسال",
    "أحد الموظفين يكتب…",
    "انتهت هذه المحادثة. اكتب لنا في أي وقت لبدء محادثة جديدة.",
    "ترتيبك {n} في قائمة الانتظار. سيرد عليك أحد الموظفين قريبًا.",
    "لم تُرسل: {reason}",
    "أنت غير متصل. ستُرسل الرسائل عند عودة الاتصال.",
    "لا يوجد اتصال. حاول مرة أخرى بعد قليل.",
    "انقطع الاتصال. إعادة المحاولة خلال {n} ث…",
    "المحادثة غير متاحة في هذه الصفحة.",
    "تعذّر إرسال الملف.",
    "تعذّر إرسال الملف: لا يوجد اتصال.",
    "تنزيل {name}",
    "أنت:",
    "الموظف:",
    "تمت القراءة",
    "اسمك",
    "بريدك الإلكتروني",
    "اترك رسالة",
    "شكرًا يا {name}! سنرد عليك على {email}.",
    "{label} (اختياري)",
    "كيف يمكننا مساعدتك؟",
    "ابدأ المحادثة",
    "أخبرنا كيف يمكننا مساعدتك.",
    "جارٍ الاتصال… حاول مرة أخرى بعد قليل.",
    "تعذّر إرسال رسالتك.",
    "تعذّر إرسال إجاباتك.",
    "كيف كانت هذه المحادثة؟",
    "{n} من 5",
    "إرسال التقييم",
    "اختر من 1 إلى 5 نجوم.",
    "شكرًا على تقييمك!",
    "تعذّر إرسال تقييمك.",
    "هل لديك ما تضيفه؟ (اختياري)",
    "تعليق (اختياري)",
    "أُرسلت المحادثة إلى {email}.",
    "تعذّر إرسال المحادثة.",
    "مرحبًا! كيف يمكننا مساعدتك اليوم؟",
    "نحن غير متاحين حاليًا. اترك رسالة وسنعود إليك.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_is_negotiated_by_quality_then_order() {
        let auto = WidgetLanguage::Auto;
        assert_eq!(auto.for_visitor(Some("de-DE,de;q=0.9,en;q=0.8")), WidgetLanguage::De);
        assert_eq!(auto.for_visitor(Some("nl-NL, fr;q=0.7, pt-BR;q=0.9")), WidgetLanguage::Pt);
        assert_eq!(auto.for_visitor(Some("ar")), WidgetLanguage::Ar);
        assert_eq!(auto.for_visitor(Some("ja, zh;q=0.5")), WidgetLanguage::En);
        assert_eq!(auto.for_visitor(Some("es;q=0, fr")), WidgetLanguage::Fr);
        assert_eq!(auto.for_visitor(None), WidgetLanguage::En);
        assert_eq!(auto.for_visitor(Some(";;,,q=x")), WidgetLanguage::En);
        assert_eq!(WidgetLanguage::Es.for_visitor(Some("de")), WidgetLanguage::Es, "the website's choice wins");
    }

    #[test]
    fn every_language_translates_every_text_with_the_same_placeholders() {
        for lang in WidgetLanguage::SPOKEN.iter().copied().filter(|l| *l != WidgetLanguage::En) {
            let strings = lang.strings();
            assert_eq!(strings.len(), KEYS.len(), "{lang:?}");
            for key in KEYS {
                let text = &strings[key];
                assert!(!text.is_empty(), "{lang:?}: {key}");
                for p in ["{n}", "{name}", "{email}", "{label}", "{reason}"] {
                    assert_eq!(key.contains(p), text.contains(p), "{lang:?}: {key} -> {text}");
                }
            }
        }
        assert!(WidgetLanguage::En.strings().is_empty());
        assert_eq!(WidgetLanguage::De.translate("Send"), "Senden");
        assert_eq!(WidgetLanguage::De.translate("Not a widget text"), "Not a widget text");
        assert!(WidgetLanguage::Ar.rtl() && !WidgetLanguage::Fr.rtl());
    }
}

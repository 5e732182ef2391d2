"""Language knowledge as data: every table of words the pipeline reads.

In: nothing. Out: constants, read by query parsing, follow-up rewriting,
answer scoring and rendering. Vietnamese and English sit side by side
because questions come in both and the archive is Vietnamese: a synonym row
maps English wording onto the archive's. Adding a term means editing one row
here, not a regex in a module. Folded entries are lower-case without
diacritics (see ``vietnamese.fold``).
"""

from __future__ import annotations

import re

# Concept table: every spelling in a row means the same thing. The first
# entry is the Vietnamese wording added to the search text.
SYNONYMS: list[tuple[str, ...]] = [
    ("vốn đầu tư nước ngoài", "FDI", "đầu tư trực tiếp nước ngoài", "có vốn đầu tư nước ngoài",
     "foreign direct investment", "foreign-invested", "foreign invested", "foreign investment"),
    ("ODA", "hỗ trợ phát triển chính thức", "official development assistance"),
    ("phi chính phủ", "NGO", "NGOs", "PCPNN", "phi chính phủ nước ngoài", "non-governmental", "non governmental"),
    ("xuất nhập khẩu", "XNK", "import-export", "import and export", "imports and exports", "exports and imports",
     "trade turnover", "import export"),
    ("kinh tế - xã hội", "KT-XH", "KTXH", "kinh tế xã hội", "socio-economic"),
    ("an ninh - quốc phòng", "AN-QP", "ANQP", "an ninh quốc phòng", "security and defence", "security and defense"),
    ("ngoại giao kinh tế", "NGKT", "economic diplomacy"),
    ("ủy ban nhân dân", "UBND", "uỷ ban nhân dân", "people's committee"),
    ("hiệp định thương mại tự do", "FTA", "FTAs", "free trade agreement", "free trade agreements"),
    ("ngân hàng phát triển châu á", "ADB", "asian development bank"),
    ("ngân hàng thế giới", "WB", "world bank"),
    ("tiểu vùng mê công mở rộng", "GMS", "greater mekong subregion"),
    ("hội đồng nhân dân", "HĐND"),
    ("dự án", "project", "projects"),
    ("vốn đăng ký", "registered capital"),
    ("lao động", "việc làm", "jobs", "workers", "employment"),
    ("đoàn", "delegations", "delegation"),
    ("giám đốc", "director"),
    ("sở ngoại vụ", "department of foreign affairs", "foreign affairs department"),
    ("thỏa thuận", "thoả thuận", "agreement", "agreements"),
    ("viện trợ", "aid"),
    ("cửa khẩu", "border gate", "border gates", "border crossing"),
    ("biên giới", "border"),
    ("du lịch", "tourism", "tourist", "tourists"),
    ("dân số", "population"),
    ("công viên địa chất", "geopark"),
    ("cửa khẩu thông minh", "smart border gate", "smart border gates"),
    ("trung quốc", "china", "chinese"),
    ("hàn quốc", "korea", "korean"),
    ("nhật bản", "japan", "japanese"),
    ("quảng tây", "guangxi"),
    ("vân nam", "yunnan"),
    ("di sản", "heritage"),
    ("cán bộ", "officials", "civil servants"),
    ("hoạt động đối ngoại cấp cao", "high-level foreign affairs activities", "high-level diplomatic activities"),
    ("kim ngạch", "turnover"),
    ("phần trăm", "percent", "percentage"),
    ("đường biên giới", "borderline", "border length"),
    ("ký kết", "signed"),
    ("tổng vốn", "total capital", "total investment"),
    ("hiệu lực", "valid", "in effect", "active"),
    ("khu công nghiệp", "industrial park", "industrial zone"),
    ("thu ngân sách", "budget revenue"),
    # abbreviations common in Vietnamese news
    ("thương mại cổ phần", "TMCP", "joint stock commercial"),
    ("cảnh sát giao thông", "CSGT", "traffic police"),
    ("tòa án nhân dân", "TAND", "toà án nhân dân", "people's court"),
    ("viện kiểm sát nhân dân", "VKSND", "people's procuracy"),
    ("hội đồng quản trị", "HĐQT", "board of directors"),
    ("đại hội đồng cổ đông", "ĐHĐCĐ", "shareholders' meeting"),
    ("trung học phổ thông", "THPT", "high school"),
    ("bảo hiểm xã hội", "BHXH", "social insurance"),
    ("bảo hiểm y tế", "BHYT", "health insurance"),
    ("ngân hàng nhà nước", "NHNN", "state bank"),
    ("câu lạc bộ", "CLB", "club"),
    ("hợp tác xã", "HTX", "cooperative"),
    ("tổng sản phẩm trong nước", "GDP", "gross domestic product"),
    ("chỉ số giá tiêu dùng", "CPI", "consumer price index"),
    ("tổ chức thương mại thế giới", "WTO", "world trade organization"),
]

# Words that carry no content of their own (folded). Province names and
# years are handled separately.
STOPWORDS = set(
    """co bao nhieu la ai gi nao khi nhung cac cua va voi trong tai o duoc da dang se thi sao con nhu the
    cho den tu bang hay hoac mot nay do nam tinh thanh pho hien nay hien bao gio may muc vay a nhi nhe
    ve theo ra len vao nhat hon kem it bi boi tren duoi sau truoc gom nguoi lam di ten cai chiec viec ma
    toan dia ban so luong tong cong moi ca qua
    what which who whom whose when where why how many much is are was were do does did the a an of in on
    for to from and or by with at as be been has have had its it this that these those there their
    province provinces city about according vietnam viet nam""".split()
)
# English inflections matched as one word when an English question is read against an English article
# ("welcome" meets "welcomed", "visitor" meets "visitors"): suffixes added to, or taken from, a word.
EN_SUFFIXES = ("s", "es", "d", "ed", "ing")
# An article whose words carry Vietnamese diacritics this rarely (and that has this many words) is English.
ENGLISH_ARTICLE = {"max_diacritic_share": 0.02, "min_words": 30}
NUMBER_CUES = ("bao nhieu", "may ", "how many", "how much", "how long", "how large", "ty le", "muc ", "tong ",
               "kim ngach", "what percentage")
# Generic words that count half: an answer may well paraphrase them away.
SOFT = {"tham gia", "kim ngach", "dat", "thu hut", "hoat dong", "cong tac", "gia tri", "trien khai",
        "tiep nhan", "thuc hien", "nhan", "cong", "tac", "tham", "gia", "hien"}
EN_HINTS = set("what which who when where why how many much is are was were has have had does did the of in there projects "
               # function words that no Vietnamese syllable folds to ("to" and "can" do: tô, cần; "and" is left
               # out for the English titles Vietnamese claims quote): English questions with one question word
               # read as Vietnamese 13 -> 4 of 598, the training, dev and seed sets; no Vietnamese question or
               # claim changes language
               "from for with by its will should according after under within into their".split())
# A question is English when these hint words make up enough of it and at most this share of its words
# carry Vietnamese diacritics: English questions quote Vietnamese names and titles ("Who directed the play
# 'Phận làm gái', in which actress Lê Khánh played …?": 0.35; up to 0.5 on the training and dev questions),
# Vietnamese ones are mostly accented (at least 0.66 of the words among those with two hint words).
ENGLISH_QUESTION = {"min_hints": 2, "min_hint_share": 0.3, "max_diacritic_share": 0.5}

# Openers and closers that mark a follow-up and carry no topic.
FOLLOWUP_MARKERS = re.compile(
    r"^\s*(?:còn|vậy còn|thế còn|con|vay con|the con|và|va|what about|how about|and)\b[\s,]*"
    r"|[\s,]*(?:thì sao|thi sao|thế nào|the nao|thì thế nào|thi the nao|ra sao|nhỉ|nhi|then)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)



# What the answer says when the archive does not answer, per language.
NO_ANSWER = {
    "vi": "Không tìm thấy thông tin này trong kho bài viết.",
    "en": "The archive does not contain this information.",
}
# When two sources give different values for the same question.
CONFLICT_HEAD = {
    "vi": "Các nguồn trong kho bài không thống nhất: {a} [1], nhưng {b} [2].",
    "en": "Sources in the archive disagree: {a} [1], but {b} [2].",
}
EN_PREFIX = "From the archive (quoted in Vietnamese): "

# What a question asks for, by folded cue: the cue written first in the
# question wins ("how old was she when ..." asks a number); on a tie, the
# earlier row ("năm nào" is a date, not a count).
ANSWER_TYPE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("date", ("khi nao", "bao gio", "luc nao", "ngay nao", "nam nao", "thang nao", "thoi diem nao", "dip nao",
              "when", "what year", "which year", "what date", "which day", "what day")),
    ("number", ("bao nhieu", "may ", "bao lau", "how many", "how much", "how long", "how old", "how far",
                "how large", "how often", "what percentage", "ty le", "muc gia", "so tien")),
    ("place", ("o dau", "tai dau", "noi nao", "dia diem nao", "dia phuong nao", "nuoc nao", "quoc gia nao",
               "thanh pho nao", "tinh nao", "where", "which country", "which city", "what country", "what city")),
    ("org", ("cong ty nao", "doanh nghiep nao", "doi nao", "doi bong nao", "clb nao", "cau lac bo nao", "to chuc nao",
             "co quan nao", "hang nao", "ngan hang nao", "truong nao", "benh vien nao", "which company",
             "which team", "which club", "which organization", "which organisation", "which bank", "what company")),
    ("person", ("ai ", "ai?", "nguoi nao", "vi nao", "who", "whom", "which player", "which coach")),
)
# What kind of figure a number question asks for, by folded cue in the
# question, and the words (lower case, with diacritics: "động" is no "đồng")
# one of its figures is written with, within three words after it. A figure without them does
# not give the asked measure ("giá bao nhiêu?" is not answered by "10.000 máy").
MEASURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "money": (("gia bao nhieu", "gia khoang", "gia ve", "gia ban", "gia thue", "muc gia", "bao nhieu tien",
               "so tien", "tri gia", "kinh phi", "chi phi", "von dau tu", "tong von", "muc luong", "thu nhap",
               "gia tri", "thiet hai bao nhieu", "how much money", "cost", "price", "worth"),
              ("đồng", "đ", "usd", "đô la", "euro", "eur", "yên", "nhân dân tệ", "bảng anh", "tỷ", "tỉ", "triệu",
               "nghìn", "ngàn", "tr", "dollars", "dollar", "billion", "million", "vnd")),
    "duration": (("bao lau", "keo dai bao nhieu", "how long"),
                 ("giây", "phút", "giờ", "ngày", "tuần", "tháng", "năm", "thế kỷ", "seconds", "minutes", "hours",
                  "days", "weeks", "months", "years")),
    "percent": (("bao nhieu phan tram", "ty le", "ti le", "what percentage", "what share", "what proportion"),
                ("phần trăm", "%")),
    "age": (("bao nhieu tuoi", "may tuoi", "how old"), ("tuổi", "years old")),
    "score": (("ti so", "ty so", "what score", "final score"), ()),
}
# Measures whose word may also stand just before the figure ("ở tuổi 102").
MEASURES_BEFORE = ("age",)

# Prepositions before a place name ("bị bắt tại Kiên Giang").
# Where a claim's clauses part: punctuation and the joining words before a new fact ("28 dự án ... với tổng
# vốn đăng ký hơn 228 triệu USD"; folded, matched as whole words).
CLAUSE_BREAKS = re.compile(r"[,;:]|\b(?:voi|va|trong do|dong thoi|with|and|while)\b")
# Where a long claim parts into facts checked one by one: a semicolon, or a comma before a joining word
# (matched in lower case, with diacritics: "và" is no "va").
FACT_BREAKS = re.compile(r";\s*|,\s*(?=(?:và|nhưng|song|đồng thời|trong đó|còn|trong khi|and|but|while)\b)")
PLACE_PREPOSITIONS = ("tai", "o", "den", "toi", "ve", "tu", "in", "at", "to", "from")
# Last words (lower case, with diacritics: "xã" is no "xa", "phố" no "phó") of the kinds of place before a
# place's name ("huyện Cái Bè", "thị trấn X", "thành phố X", "đảo Eleuthera").
PLACE_WORDS = ("huyện", "quận", "xã", "phường", "trấn", "tỉnh", "phố", "nước", "đảo", "sông", "ấp", "thôn")
# Words before a name that narrows what is measured ("dự án FDI của Hàn Quốc"):
# the answering sentence must name it too.
QUALIFIER_WORDS = ("cua", "rieng", "thuoc")
# Words around a figure that qualify it, not count it.
HEDGES = {"hon": ">", "tren": ">", "gan": "~", "khoang": "~", "xap xi": "~", "duoi": "<", "chua den": "<",
          "more than": ">", "over": ">", "nearly": "~", "about": "~", "around": "~", "almost": "~",
          "under": "<", "less than": "<"}
# Words that join a figure to the next year's ("1,62 tỷ USD và năm 2011 ..."):
# dropped from the end of a short answer cut before that year.
TRAILING_CONNECTORS = ("va", "nam", "con", "den", "and", "in")
# A question asks to compare or combine two figures. "…" stands for up to six words between two
# ("nhiều dự án FDI còn hiệu lực hơn").
COMPARE_CUES = {
    "more": ("nhieu hon", "lon hon", "cao hon", "nao nhieu", "nao lon", "nao cao", "nhieu … hon", "lon … hon",
             "cao … hon", "more", "larger", "higher"),
    "less": ("it hon", "nho hon", "thap hon", "nao it", "nao nho", "nao thap", "it … hon", "nho … hon", "thap … hon",
             "fewer", "less", "lower", "smaller"),
    "sum": ("cong lai", "tong cong", "ca hai", "combined", "together", "in total"),
    "diff": ("chenh lech", "hon kem", "khac nhau bao nhieu", "difference"),
}
# Why the closest passage does not answer, per language ({x}: the detail).
REASONS = {
    "vi": {
        "term": "Đoạn gần nhất không nói đến “{x}”.",
        "year": "Đoạn gần nhất nói về {found}, không có số liệu năm {x}.",
        "province": "Đoạn gần nhất nói về {found}, không phải {x}.",
        "type": "Đoạn gần nhất không có {x} trả lời câu hỏi.",
        "weak": "Không đoạn nào đủ khớp với câu hỏi.",
        "narrowed": "Đoạn gần nhất chỉ có số liệu của một phần, không phải con số được hỏi.",
        "side": "Kho bài không có số liệu của {x} để so sánh.",
        "mismatch": "Hai số liệu không đo cùng một thứ nên không so sánh được.",
    },
    "en": {
        "term": "The closest passage does not mention “{x}”.",
        "year": "The closest passage is about {found}, with no figure for {x}.",
        "province": "The closest passage is about {found}, not {x}.",
        "type": "The closest passage has no {x} that answers the question.",
        "weak": "No passage matches the question closely enough.",
        "narrowed": "The closest passage only gives a figure for a part, not the one asked.",
        "side": "The archive has no figure for {x} to compare.",
        "mismatch": "The two figures do not measure the same thing, so they cannot be compared.",
    },
}
# How each answer type is named in a reason.
TYPE_NAMES = {
    "vi": {"number": "con số", "date": "thời điểm", "place": "địa điểm", "person": "tên người", "org": "tên tổ chức"},
    "en": {"number": "figure", "date": "date", "place": "place", "person": "name", "org": "organisation name"},
}
SHORT_ANSWER_LABEL = {"vi": "Trả lời: ", "en": "Answer: "}

# ------------------------------------------------------------------ claims
# Words (lower case, with diacritics: "giám đốc" is no "giảm") that state a
# direction of change or of a comparison ("đắt hơn" / "rẻ hơn"); a claim whose
# direction the evidence reverses is refuted.
DIRECTIONS = {
    "up": ("tăng", "tăng lên", "tăng trưởng", "nhiều hơn", "cao hơn", "lớn hơn", "đắt hơn", "increase", "increased",
           "rose", "grew", "up", "higher", "more expensive"),
    "down": ("giảm", "giảm xuống", "sụt giảm", "suy giảm", "ít hơn", "thấp hơn", "nhỏ hơn", "rẻ hơn", "decrease",
             "decreased", "fell", "dropped", "declined", "down", "lower", "cheaper"),
}
# Words that do not state a direction although they contain one ("tăng cường" is to strengthen).
NOT_DIRECTIONS = ("tăng cường", "giảm thiểu", "giảm nghèo", "giảm án")
# Words right before a year that make it a date, not a count ("năm 2005", "từ 2005").
YEAR_WORDS = ("năm", "từ", "đến", "tới", "giai đoạn", "cuối", "đầu", "vào", "sau", "trước", "in", "since", "by")
# Other spellings of names a claim may use (not search concepts: "Việt Nam" is a stop word there).
NAME_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("Việt Nam", "VN", "Vietnam", "nước ta"),
    ("Mỹ", "Hoa Kỳ", "US", "USA"),
    ("TP HCM", "TP Hồ Chí Minh", "TPHCM", "Thành phố Hồ Chí Minh", "Sài Gòn"),
)
# Words shortly before a claim's date that make it the date of an event ("sinh năm 1974", "ban hành
# ngày 10/4/2012", "vào năm 2001", "khởi công xây dựng năm 1997"), not the period a statistic
# covers ("Năm 2012, kim ngạch ... đạt ...", "trong năm 2003"): the same event dated another year refutes it.
EVENT_DATE_WORDS = ("vào", "sinh", "khởi công", "ban hành", "thành lập", "ra đời", "qua đời", "khởi hành",
                    "khánh thành", "khai trương", "khai mạc", "xảy ra", "diễn ra", "ký", "bán", "mua",
                    "born", "founded", "died", "signed", "on")
# Words right before a number that make it part of a date or an ordinal time ("tháng 12", "quý 3").
DATE_WORDS = ("tháng", "ngày", "quý", "lúc", "hồi", "thứ", "month", "day", "quarter")
# Words (lower case, with diacritics: "bảng" is no "bằng 67,3%", "mục" no "mức 20%") before a number that
# make it a label, not a count ("tiểu đường type 2", "lớp 12", "đợt 3").
LABEL_WORDS = ("type", "loại", "hạng", "nhóm", "lớp", "khóa", "tập", "đợt", "bảng", "mục", "điều", "khoản", "chương",
               "phòng", "phase", "level", "grade")
# First syllables (folded) of units whose second syllable tells them apart
# ("dự án" is not "du khách", "học sinh" not "học viên"); other units are read by their first word.
TWO_SYLLABLE_UNITS = ("du", "lao", "can", "hoc", "khach", "ho", "doanh", "cong", "nha", "chu", "phan", "luot", "ty")
# Measure units (folded) a figure may be written in, with the unit they are compared in and its
# factor: "3 tấn" and "3.000 kg" are the same weight, "333 km" and "333.000 m" the same length.
# An area or volume is written with its power ("km2", "m3"): "7,2 ha" is 72.000 m2, not 7,2 km2.
MEASURE_UNITS = {"tan": ("kg", 1000.0), "kg": ("kg", 1.0), "km": ("m", 1000.0), "m": ("m", 1.0), "cm": ("m", 0.01),
                 "mm": ("m", 0.001), "lit": ("lit", 1.0), "ml": ("lit", 0.001), "km2": ("m2", 1e6),
                 "ha": ("m2", 1e4), "hecta": ("m2", 1e4), "m2": ("m2", 1.0), "m3": ("lit", 1000.0)}
# Function words: they may follow a unit without being part of it ("153 đoàn với ..."), or follow a year
# ("2005 có"); right after a figure, none is its unit ("300 tỷ trở lên" counts what "300 tỷ đồng" does);
# none takes a name's place ("nhà máy trong" is no other "nhà máy Vemork").
UNIT_LINK_WORDS = ("voi", "co", "cua", "va", "duoc", "trong", "tai", "o", "la", "den", "tu", "cho", "nay", "do", "thi",
                   "deu", "da", "tro", "hoac")
# Words (folded) before a one-syllable given name ("bà Lợi", "anh Tuấn"): that name is a person's, not the
# capitalised head of a common phrase ("Phó chủ tịch", "Công ty", "Đại học").
PERSON_TITLES = ("ong", "ba", "anh", "chi", "em", "co", "chu", "bac", "cu", "chau", "mr", "mrs", "ms")
# Bodies every province has (folded first words): a name opening with one ("Sở Thương mại") does not
# tell one province's event from another's.
PROVINCIAL_BODIES = ("so", "ubnd", "uy ban", "cong an", "tinh uy", "thanh uy", "hdnd", "hoi dong", "tand", "toa an",
                     "vien kiem sat", "vks", "cuc thue", "cuc hai quan", "chi cuc", "ban quan ly")
# Vietnamese family names: a name starting with one of them (folded) is a person's.
SURNAMES = ("nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo",
            "duong", "ly", "trinh", "dinh", "lam", "mai", "dao", "cao", "luong", "to", "ha", "ta", "chu", "quach",
            "thai", "la", "kieu", "trieu", "van", "tong", "doan", "luu", "khong", "au", "giang", "tieu", "vuong")
# A draft sentence that opens with one of these (folded) states an opinion, asks or greets: not checkable.
NOT_CHECKABLE_OPENERS = ("theo toi", "toi nghi", "toi cho rang", "toi thay", "chung ta nen", "chung ta can", "hay ",
                         "xin chao", "chao ", "cam on", "kinh thua", "rat mong", "hy vong", "i think", "in my opinion",
                         "we should", "hello", "thank")
# Words of a draft sentence that make it an opinion when it states no figure, date or name.
OPINION_WORDS = ("nen", "can phai", "tuyet voi", "dang tiec", "dep", "xau", "tot nhat", "should", "great", "wonderful")
# The one-line explanation of a verdict, per language ({claim}/{archive}: the
# differing values as written, {n}: the citation, {found}/{x}: scopes).
EXPLANATIONS = {
    "vi": {
        "supported": "Bài viết xác nhận: {archive} [{n}].",
        "number": "Bài viết nói {archive}, không phải {claim} [{n}].",
        "unit": "Bài viết ghi {archive}, không phải {claim} [{n}].",
        "direction": "Bài viết nói {archive}, không phải {claim} [{n}].",
        "date": "Bài viết ghi thời điểm {archive}, không phải {claim} [{n}].",
        "name": "Bài viết nói đó là {archive}, không phải {claim} [{n}].",
        "place": "Bài viết nói việc này ở {archive}, không phải {claim} [{n}].",
        "attribute": "Bài viết nói khác: “{archive}” [{n}].",
        "clause-refuted": "Vế “{clause}” sai: bài viết nói “{archive}” [{n}].",
        "clause-nei": "Kho bài không xác nhận vế “{clause}”.",
        "conflicting": "Các nguồn trong kho bài nói khác nhau: {claim} [{n}] và {archive} [{m}].",
        "other-year": "Kho bài chỉ có số liệu {found}, không có số liệu năm {x} [{n}].",
        "other-period": "Kho bài chỉ có số liệu {found}, không có số liệu {x} [{n}].",
        "no-year": "Đoạn gần nhất không ghi năm, không có số liệu năm {x} [{n}].",
        "other-place": "Kho bài chỉ có số liệu của {found}, không phải {x} [{n}].",
        "nei": "Kho bài không có thông tin để kiểm chứng câu này.",
        "not_checkable": "Câu này không nêu điều gì kiểm chứng được (ý kiến, câu hỏi hoặc lời chào).",
    },
    "en": {
        "supported": "The archive confirms: {archive} [{n}].",
        "number": "The archive says {archive}, not {claim} [{n}].",
        "unit": "The archive gives {archive}, not {claim} [{n}].",
        "direction": "The archive says {archive}, not {claim} [{n}].",
        "date": "The archive dates it {archive}, not {claim} [{n}].",
        "name": "The archive says it was {archive}, not {claim} [{n}].",
        "place": "The archive places it in {archive}, not {claim} [{n}].",
        "attribute": "The archive says otherwise: “{archive}” [{n}].",
        "clause-refuted": "The part “{clause}” is wrong: the archive says “{archive}” [{n}].",
        "clause-nei": "The archive does not bear out the part “{clause}”.",
        "conflicting": "Sources in the archive disagree: {claim} [{n}] and {archive} [{m}].",
        "other-year": "The archive only has figures for {found}, none for {x} [{n}].",
        "other-period": "The archive only has figures for {found}, none for {x} [{n}].",
        "no-year": "The closest passage gives no year, no figure for {x} [{n}].",
        "other-place": "The archive only has figures for {found}, not {x} [{n}].",
        "nei": "The archive has nothing to check this claim against.",
        "not_checkable": "This sentence states nothing checkable (an opinion, a question or a greeting).",
    },
}
# How an article's provenance is named beside its citations.
ORIGIN_LABELS = {"corpus": "tệp trong kho", "archive": "kho lưu trữ", "upload": "tải lên"}
# How each verdict is named to a reader.
VERDICT_LABELS = {
    "vi": {"supported": "Có căn cứ", "refuted": "Sai so với kho bài", "nei": "Chưa đủ thông tin",
           "conflicting": "Các nguồn mâu thuẫn", "not_checkable": "Không kiểm chứng được"},
    "en": {"supported": "Supported", "refuted": "Refuted", "nei": "Not enough information",
           "conflicting": "Sources conflict", "not_checkable": "Not checkable"},
}

# How the fact that decided a long claim's verdict is introduced (``ClaimCheck.clause``).
CLAUSE_LABELS = {"vi": "Vế quyết định", "en": "Deciding part"}
# The names of a claim's diffs ("number: 30 → 28"), per language (``schema.DIFF_KINDS``).
DIFF_LABELS = {
    "vi": {"number": "số liệu", "unit": "đơn vị", "name": "tên", "place": "nơi chốn", "date": "thời gian",
           "direction": "chiều tăng giảm", "comparative": "so sánh", "negation": "phủ định", "attribute": "chi tiết"},
    "en": {"number": "number", "unit": "unit", "name": "name", "place": "place", "date": "date",
           "direction": "direction", "comparative": "comparative", "negation": "negation", "attribute": "attribute"},
}
# Why the language model was not used, or its answer was set aside for the quoted one (``Answer.mode_reason``),
# per language: ``generate`` (the first five) and ``verify`` (the rest).
MODE_REASONS = {
    "vi": {"not_answerable": "kho bài không trả lời được câu hỏi: không gọi mô hình",
           "conflicting": "các nguồn nói khác nhau: trích cả hai, không gọi mô hình",
           "not_installed": "chưa cài mô hình ngôn ngữ: {hint}",
           "time_limit": "dừng sau {s:.1f} s: quá thời gian cho phép",
           "failed": "mô hình gặp lỗi: {error}",
           "no_citation": "không có trích dẫn [n]",
           "bad_citation": "trích dẫn đoạn {marks} không có trong các đoạn đã cho",
           "number": "số {x} không có trong đoạn được trích {marks}",
           "name": "tên {x} không có trong đoạn được trích {marks}",
           "province": "nói về {x} nhưng trích {marks} nói về {y}",
           "dropped": "bỏ sót số liệu {x} của các đoạn",
           "restates": "chỉ nhắc lại câu hỏi, không trả lời",
           "list": "câu hỏi liệt kê nhưng bỏ sót {x}"},
    "en": {"not_answerable": "not answerable from the archive: model not called",
           "conflicting": "sources disagree: both quoted, model not called",
           "not_installed": "LLM not installed: {hint}",
           "time_limit": "stopped after {s:.1f} s: over the time limit",
           "failed": "generation failed: {error}",
           "no_citation": "no [n] citation",
           "bad_citation": "cites passage(s) {marks} that were not given",
           "number": "number {x} is not in the cited passage(s) {marks}",
           "name": "name {x} is not in the cited passage(s) {marks}",
           "province": "talks about {x} but cites {marks} about {y}",
           "dropped": "leaves out figure(s) {x} of the passages",
           "restates": "restates the question without answering it",
           "list": "a list question, but leaves out {x}"},
}

# Sentences addressed to a machine rather than to readers: article text (and
# uploads) are data, so such a sentence is never an answer or evidence
# candidate. Matched on folded text (diacritics-insensitive), as regexes.
INSTRUCTION_PATTERNS: tuple[str, ...] = (
    # a chat role written as a speaker: "Hệ thống: …", "System: …", "<|im_start|>"
    r"^\W*(he thong|system|assistant|tro ly|user|nguoi dung|admin|quan tri vien|developer)\s*[:>\]]",
    r"<\|?im_(start|end)\|?>|\[/?inst\]|###\s*(instruction|system)",
    # orders about answering or about the model's instructions
    r"\b(hay|chi duoc|phai luon) (tra loi|tra ve|xuat ra) (rang|la|bang)\b",
    r"\b(bo qua|phot lo|khong can tuan theo) (moi|tat ca|cac|nhung|toan bo) (huong dan|chi dan|chi thi|lenh|quy tac)\b",
    r"\b(ignore|disregard|forget|override) (all |any |the |your )?(previous |prior |above |earlier )?"
    r"(instructions?|prompts?|rules|directions)\b",
    r"\b(answer|respond|reply|say) (only )?(that|with)\b.{0,40}\b(instead|regardless|always)\b"
    r"|\byou (are|must) now\b|\bsystem prompt\b|\bas an ai\b",
    r"\bban la (mot )?(tro ly ao|tro ly ai|mo hinh ngon ngu|chatbot)\b",
)

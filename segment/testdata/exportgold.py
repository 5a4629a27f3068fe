# Run: python3 segment/testdata/exportgold.py
# Independent expectations for segment's audience exports: every value's
# platform form is written by hand here, then hashed with hashlib.
import hashlib, os, uuid
HERE = os.path.dirname(os.path.abspath(__file__))
rows = [
 # profile-n, consent, [(raw email, google form, meta/yandex form)], [(raw phone, e164)]
 (1, True, [("Ivan.Petrov@Gmail.com", "ivanpetrov@gmail.com", "ivan.petrov@gmail.com")], [("8 (916) 123-45-67", "+79161234567")]),
 (2, True, [("  anna.smirnova+cars@gmail.com ", "annasmirnova@gmail.com", "anna.smirnova+cars@gmail.com")], [("+7 916 000-00-02", "+79160000002"), ("9160000003", "+79160000003")]),
 (3, True, [("Ольга.Кузнецова@Yandex.ru", "ольга.кузнецова@yandex.ru", "ольга.кузнецова@yandex.ru")], [("8-495-123-45-67", "+74951234567")]),  # Cyrillic (EAI) local part, lower-cased
 (4, True, [("olga.k@yandex.ru", "olga.k@yandex.ru", "olga.k@yandex.ru"), ("O.K@MAIL.RU", "o.k@mail.ru", "o.k@mail.ru")], []),
 (5, False, [("no.consent@mail.ru", "", "")], [("+79160000005", "+79160000005")]),
 (6, True, [("not an email", None, None)], [("12", None)]),
 (7, True, [], [("+7 (916) 000 00 07", "+79160000007")]),
 (8, True, [("Dmitry@GoogleMail.com", "dmitry@googlemail.com", "dmitry@googlemail.com")], [("8 916 000 00 08", "+79160000008")]),
]
# filler to reach Yandex's 100-row minimum: plain contacts in mixed formats
for i in range(100):
    e = "client%03d@mail.ru" % i
    rows.append((100 + i, True, [(e.upper() if i % 3 == 0 else e, e, e)], [("8 916 1%02d-%02d-%02d" % (i, i, i), "+79161%02d%02d%02d" % (i, i, i))]))

def pid(n):
    return str(uuid.UUID(int=n))

with open(os.path.join(HERE, "contacts.tsv"), "w") as f:
    f.write("# profile\tconsent\temails (|)\tphones (|)\n")
    for n, consent, emails, phones in rows:
        f.write("\t".join([pid(n), "y" if consent else "n", "|".join(e[0] for e in emails), "|".join(p[0] for p in phones)]) + "\n")

def h(alg, s):
    return hashlib.new(alg, s.encode()).hexdigest()

def golden(name, header, col, phone_form, alg):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(header + "\n")
        for n, consent, emails, phones in rows:
            if not consent:
                continue
            es = [h(alg, e[col]) for e in emails if e[col] is not None]
            ps = [h(alg, phone_form(p[1])) for p in phones if p[1] is not None]
            for i in range(max(len(es), len(ps))):
                f.write((es[i] if i < len(es) else "") + "," + (ps[i] if i < len(ps) else "") + "\n")

golden("google.csv", "Email,Phone", 1, lambda e: e, "sha256")
golden("meta.csv", "email,phone", 2, lambda e: e[1:], "sha256")
golden("yandex_sha256.csv", "email,phone", 2, lambda e: e[1:], "sha256")
golden("yandex_md5.csv", "email,phone", 2, lambda e: e[1:], "md5")
print(len(rows))

"""PORTAL_SUPPORT_CONTACT as tappable links: tel: for phones, wa.me for WhatsApp, mailto: for
emails, read in PHONE_REGION; everything else plain, escaped text."""

import pytest

from portal.templatetags.portal_tags import breakable, contact_links


def test_a_whatsapp_number_opens_the_chat():
    assert contact_links("WhatsApp +593 99 000 0000") == (
        'WhatsApp <a href="https://wa.me/593990000000">+593 99 000 0000</a>'
    )


def test_numbers_without_country_code_are_read_in_phone_region(settings):
    settings.PHONE_REGION = "EC"
    html = contact_links("WhatsApp 099 123 4567 · Oficina 02 234 5678 · soporte@isp.ec")

    assert '<a href="https://wa.me/593991234567">099 123 4567</a>' in html
    assert '<a href="tel:+59322345678">02 234 5678</a>' in html
    assert '<a href="mailto:soporte@isp.ec">soporte@isp.ec</a>' in html


def test_the_same_digits_in_another_region_are_another_number(settings):
    settings.PHONE_REGION = "PE"

    assert 'href="tel:+5114123456"' in contact_links("Llame al (01) 412 3456")


@pytest.mark.parametrize(
    "text", ["Av. Amazonas N24-18, Quito", "Oficina: lunes a viernes 8:00-17:00", ""]
)
def test_text_without_phone_or_email_stays_plain(text):
    assert contact_links(text) == text.replace("&", "&amp;")


def test_markup_in_the_setting_is_escaped():
    assert contact_links("<script>x</script> 099 123 4567") == (
        '&lt;script&gt;x&lt;/script&gt; <a href="tel:+593991234567">099 123 4567</a>'
    )


def test_every_page_footer_has_the_links(client, db, settings):
    settings.PORTAL_SUPPORT_CONTACT = "WhatsApp +593 99 000 0000"

    page = client.get("/accounts/login/").content.decode()

    assert '<a href="https://wa.me/593990000000">+593 99 000 0000</a>' in page


def test_an_email_breaks_only_after_its_at():
    assert breakable("maria.torres@example.com") == "maria.torres@<wbr>example.com"
    assert breakable("<b>") == "&lt;b&gt;"

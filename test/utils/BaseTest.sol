// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DefaultParams} from "../../script/lib/DefaultParams.sol";
import {LendingPool} from "../../src/LendingPool.sol";
import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockBlocklistToken, MockERC20} from "../mocks/MockERC20.sol";
import {MockLendingPool} from "../mocks/MockLendingPool.sol";
import {MockERC1155, MockERC721} from "../mocks/MockNFTs.sol";
import {MockValuation} from "../mocks/MockValuation.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Shared fixture: a WETH-like pool behind a proxy, one ERC-721 and one ERC-1155 collection, labelled actors
/// and domain helpers. Tests that need the 6-decimal stablecoin call `_deployPool(usdc, ...)`.
abstract contract BaseTest is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant YEAR = 365 days;
    uint256 internal constant NFT_PRICE = 30 ether;
    uint256 internal constant MIN_LOAN = 0.01 ether;

    address internal timelock = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal custody = makeAddr("custody");
    address internal liquidator = makeAddr("liquidator");
    address internal lender = makeAddr("lender");
    address internal lender2 = makeAddr("lender2");
    address internal borrower = makeAddr("borrower");
    address internal keeper = makeAddr("keeper");
    address internal stranger = makeAddr("stranger");

    MockERC20 internal weth;
    MockBlocklistToken internal usdc;
    MockERC721 internal apes;
    MockERC1155 internal items;
    MockValuation internal valuation;
    ILendingPool internal pool;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockBlocklistToken("USD Coin", "USDC", 6);
        apes = new MockERC721();
        items = new MockERC1155();
        valuation = new MockValuation();
        vm.label(address(weth), "WETH");
        vm.label(address(apes), "APES");
        vm.label(address(items), "ITEMS");
        valuation.setPrice(address(apes), NFT_PRICE);
        valuation.setPrice(address(items), 1 ether);
        pool = _deployPool(address(weth), MIN_LOAN);
        _listDefaults(pool);
    }

    /*//////////////////////////////////////////////////////////////
                                FIXTURES
    //////////////////////////////////////////////////////////////*/

    function _defaultRateConfig(uint256 minLoan) internal pure returns (ILendingPoolTypes.RateConfig memory) {
        return DefaultParams.rateConfig(minLoan);
    }

    function _defaultTerms(uint8 standard) internal pure returns (ILendingPoolTypes.Terms memory) {
        return DefaultParams.terms(standard);
    }

    function _deployPool(address asset, uint256 minLoan) internal returns (ILendingPool p) {
        return _deployPoolWith(asset, address(valuation), minLoan);
    }

    function _deployPoolWith(address asset, address valuation_, uint256 minLoan) internal returns (ILendingPool p) {
        // The pool checks the valuation's decimals when it is built: the shared mock prices in this pool's asset.
        if (valuation_ == address(valuation)) valuation.setAssetDecimals(MockERC20(asset).decimals());
        LendingPool impl = new LendingPool(asset, valuation_, address(new LendingPoolExtension(asset, valuation_)));
        bytes memory init = abi.encodeCall(
            LendingPool.initialize,
            ("NFT Pool WETH", "npWETH", timelock, guardian, custody, _defaultRateConfig(minLoan))
        );
        p = ILendingPool(address(new ERC1967Proxy(address(impl), init)));
        vm.prank(timelock);
        p.setLiquidator(liquidator);
        vm.label(address(p), "pool");
    }

    /// @dev A `Valuation` proxy with both collections listed on one 18-decimal floor feed and a ready TWAP: 16 sales
    /// of NFT_PRICE each, 10 minutes apart, so `price()` runs its full path (ring buffer, feed, jump check) as on chain.
    function _deployReadyValuation() internal returns (Valuation real, MockAggregator feed, address reporter) {
        vm.roll(1000);
        (reporter,) = makeAddrAndKey("reporter");
        Valuation impl = new Valuation(address(0), 0);
        real = Valuation(
            address(new ERC1967Proxy(address(impl), abi.encodeCall(Valuation.initialize, (timelock, guardian, 18))))
        );
        feed = new MockAggregator(18);
        vm.startPrank(timelock);
        real.listCollection(address(apes), address(feed), 1 days, 0, 1_000_000 ether, 100_000 ether);
        real.listCollection(address(items), address(feed), 1 days, 0, 1_000_000 ether, 100_000 ether);
        real.setReporter(reporter, true);
        vm.stopPrank();
        for (uint256 i; i < 16; ++i) {
            vm.warp(block.timestamp + 10 minutes);
            _reportSales(real, reporter, NFT_PRICE);
        }
        feed.setAnswer(int256(NFT_PRICE));
    }

    /// @dev One sale of each collection at `price_`, in a new block (the TWAP takes one observation per block).
    function _reportSales(Valuation real, address reporter, uint256 price_) internal {
        vm.roll(block.number + 1);
        vm.startPrank(reporter);
        real.reportSale(address(apes), price_, block.timestamp);
        real.reportSale(address(items), price_, block.timestamp);
        vm.stopPrank();
    }

    function _listDefaults(ILendingPool p) internal {
        vm.startPrank(timelock);
        p.setTerms(address(apes), _defaultTerms(1), 1000 ether);
        p.setTerms(address(items), _defaultTerms(2), 1000 ether);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _deposit(address who, uint256 assets) internal returns (uint256 shares) {
        MockERC20 asset = MockERC20(pool.asset());
        asset.mint(who, assets);
        vm.startPrank(who);
        asset.approve(address(pool), assets);
        shares = pool.deposit(assets, who);
        vm.stopPrank();
    }

    function _mintApe(address to, uint256 id) internal {
        apes.mint(to, id);
        vm.prank(to);
        apes.setApprovalForAll(address(pool), true);
    }

    function _borrowApe(
        address who,
        uint256 id,
        uint256 principal
    ) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        _mintApe(who, id);
        vm.prank(who);
        (loanId, loan) = pool.borrow(address(apes), id, 1, principal, who, 0, new bytes32[](0));
    }

    function _borrowItems(
        address who,
        uint256 id,
        uint256 amount,
        uint256 principal
    ) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        items.mint(who, id, amount);
        vm.startPrank(who);
        items.setApprovalForAll(address(pool), true);
        (loanId, loan) = pool.borrow(address(items), id, amount, principal, who, 0, new bytes32[](0));
        vm.stopPrank();
    }

    function _repayAll(
        address payer,
        uint256 loanId,
        ILendingPoolTypes.Loan memory loan
    ) internal returns (uint256 paid) {
        MockERC20 asset = MockERC20(pool.asset());
        uint256 debt = pool.debtOf(loan);
        if (loan.auctionStart != 0) debt += debt * 500 / 10_000 + 1;
        asset.mint(payer, debt);
        vm.startPrank(payer);
        asset.approve(address(pool), debt);
        (paid,) = pool.repay(loanId, loan, type(uint256).max);
        vm.stopPrank();
    }

    /// @dev Max principal for one ape at the fixture price: 30 x 0.65 x 0.5.
    function _maxApeLoan() internal view returns (uint256) {
        return valuation.prices(address(apes)) * 6500 / 10_000 * 5000 / 10_000;
    }

    function _sharePrice() internal view returns (uint256) {
        return pool.convertToAssets(1e24);
    }

    /*//////////////////////////////////////////////////////////////
                    LIQUIDATION FIXTURES (auction tests)
    //////////////////////////////////////////////////////////////*/

    /// @dev Auction fixtures price one unit of either collection at UNIT_PRICE and lend PRINCIPAL against it (the
    /// mock pool's loans owe MOCK_DEBT).
    uint256 internal constant UNIT_PRICE = 10 ether;
    uint256 internal constant PRINCIPAL = 5 ether;
    uint256 internal constant MOCK_DEBT = 6 ether;

    address internal buyer = makeAddr("buyer");
    DutchAuction internal auction;
    DutchAuction internal auctionImpl;
    MockLendingPool internal mockPool;

    /// @dev Value = price (haircut 100 %), LTV 50 %, liquidation threshold 70 %, penalty 5 % (half to the keeper),
    /// auction from 150 % to 70 % of the value over 36 h, loans of 30 days with 2 days of grace.
    function _auctionTerms(uint8 standard) internal pure returns (ILendingPoolTypes.Terms memory t) {
        t = _defaultTerms(standard);
        t.haircutBps = 10_000;
        t.auctionStartBps = 15_000;
        t.auctionReserveBps = 7000;
    }

    /// @dev Replaces the fixture's pool by one over `asset` with 100 of it deposited, both collections listed on
    /// `_auctionTerms` and priced at UNIT_PRICE, and a DutchAuction as its liquidator.
    function _setUpAuctionPool(address asset) internal {
        pool = _deployPool(asset, 0.1 ether);
        vm.startPrank(timelock);
        pool.setTerms(address(apes), _auctionTerms(1), 1000 ether);
        pool.setTerms(address(items), _auctionTerms(2), 1000 ether);
        vm.stopPrank();
        valuation.setPrice(address(apes), UNIT_PRICE);
        valuation.setPrice(address(items), UNIT_PRICE);
        auction = _deployAuction(pool);
        _deposit(lender, 100 ether);
    }

    /// @dev The module alone, over MockLendingPool (whose own work is minimal) and the fixture's WETH.
    function _setUpMockAuction() internal {
        mockPool = new MockLendingPool(address(weth), address(valuation), custody);
        mockPool.setStandard(address(items), 2);
        valuation.setPrice(address(apes), UNIT_PRICE);
        valuation.setPrice(address(items), UNIT_PRICE);
        auction = _deployAuction(ILendingPool(address(mockPool)));
        vm.label(address(mockPool), "mockPool");
    }

    /// @dev A DutchAuction for `p` behind an ERC-1967 proxy, installed as `p`'s liquidator by the timelock.
    function _deployAuction(ILendingPool p) internal returns (DutchAuction a) {
        auctionImpl = new DutchAuction(p);
        bytes memory init = abi.encodeCall(DutchAuction.initialize, (address(p), timelock, guardian));
        a = DutchAuction(address(new ERC1967Proxy(address(auctionImpl), init)));
        vm.prank(timelock);
        p.setLiquidator(address(a));
        vm.label(address(a), "auction");
    }

    /// @dev Real pool: `borrower` borrows PRINCIPAL against ape `tokenId`; a day later a price drop to 6 (limit 4.2 <
    /// debt 5) lets `keeper` start its auction: start price 9, reserve 4.2.
    function _unhealthyAuction(uint256 tokenId)
        internal
        returns (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a)
    {
        (loanId, loan) = _borrowApe(borrower, tokenId, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether);
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
    }

    /// @dev Mock pool: a loan of MOCK_DEBT against ape `tokenId`, marked liquidatable.
    function _openLoan(uint256 tokenId) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        apes.mint(borrower, tokenId);
        vm.prank(borrower);
        apes.setApprovalForAll(address(mockPool), true);
        (loanId, loan) = mockPool.openLoan(borrower, address(apes), tokenId, 1, MOCK_DEBT);
        mockPool.setLiquidatable(loanId, true);
    }

    /// @dev Mock pool: `_openLoan`, then `keeper` starts its auction.
    function _openAndStart(uint256 tokenId)
        internal
        returns (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a)
    {
        (loanId, loan) = _openLoan(tokenId);
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
    }

    /// @dev Settles an auction that finds no buyer until the module closes it: each round runs to its end and is
    /// settled (relisted) by `settler`, the last one writes off. Returns the debt written off and the last round.
    function _settleUnsoldToClose(
        uint256 loanId,
        ILendingPoolTypes.Loan memory loan,
        IDutchAuction.Auction memory a,
        address settler
    ) internal returns (uint256 badDebt, IDutchAuction.Auction memory last) {
        for (uint256 i = 0; i <= auction.MAX_RELISTS(); i++) {
            uint256 elapsed = auction.elapsed(loan.collection, a);
            if (elapsed < a.duration) skip(a.duration - elapsed);
            last = a;
            vm.prank(settler);
            (badDebt, a, loan) = auction.settle(loanId, loan, a);
            if (a.start == 0) return (badDebt, last);
        }
        revert("auction never closed");
    }

    /// @dev Mints `amount` of the auction's asset to `who` and approves the auction for all of it.
    function _fundBuyer(address who, uint256 amount) internal {
        MockERC20 asset = MockERC20(auction.asset());
        asset.mint(who, amount);
        vm.prank(who);
        asset.approve(address(auction), type(uint256).max);
    }
}
